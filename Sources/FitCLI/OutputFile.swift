import FitCore
import Foundation

/// Writes `-o`'s file: a regular file, replaced atomically (a temporary file in the same folder,
/// then a rename), so a reader never sees half a report and an interrupted write leaves the old
/// one. It refuses what is not a regular file (a device node, a FIFO, a folder, a symlink: writing
/// there would replace it) and a folder that does not exist, unless asked to create it (the
/// default `Reports/` path).
func writeOutputFile(_ text: String, to path: String, flag: String = "-o", createFolder: Bool = false) throws {
    var st = stat()
    if lstat(path, &st) == 0 {
        let kind: String?
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = nil
        case S_IFDIR: kind = "a folder"
        case S_IFLNK: kind = "a symbolic link"
        case S_IFIFO: kind = "a FIFO"
        case S_IFCHR, S_IFBLK: kind = "a device"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        if let kind {
            throw FitError.usage(
                "\(flag) \(path) is \(kind), not a regular file; give a file path (or \(flag) - for standard output)")
        }
    }
    let folder = path.parentFolder
    if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
        guard createFolder else {
            throw FitError.usage(
                "\(flag) \(path): the folder \(folder) does not exist; create it, or choose another path")
        }
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw FitError(
                sentence: "\(flag) \(path): cannot create the folder \(folder); choose a writable path", exitCode: 1)
        }
    }
    do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        throw FitError(
            sentence:
                "\(flag) \(path) cannot be written (\((error as NSError).localizedDescription)); choose a writable path, or \(flag) - for standard output",
            exitCode: 1)
    }
}
