/// The field names a `Decodable` type reads, found by decoding it once from a decoder that has
/// every key and records each one asked for: the catalog's list of known fields comes from the
/// types themselves, so a new architecture field needs no second list here.
enum FieldNames {
    /// Top-level keys, and for each nested structure its own keys.
    static func of<T: Decodable>(_ type: T.Type) -> (fields: Set<String>, nested: [String: Set<String>]) {
        let log = Log()
        _ = try? T(from: Recorder(log: log, path: []))
        var fields: Set<String> = []
        var nested: [String: Set<String>] = [:]
        for path in log.paths {
            if path.count == 1 { fields.insert(path[0]) }
            if path.count == 2 { nested[path[0], default: []].insert(path[1]) }
        }
        return (fields, nested)
    }

    final class Log { var paths: [[String]] = [] }

    struct Recorder: Decoder {
        let log: Log
        let path: [String]
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            KeyedDecodingContainer(Keyed<Key>(log: log, path: path))
        }
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw Stop() }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { throw Stop() }
    }

    struct Stop: Error {}

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let log: Log
        let path: [String]
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { [] }
        func contains(_ key: Key) -> Bool { true }
        func record(_ key: Key) { log.paths.append(path + [key.stringValue]) }
        func decodeNil(forKey key: Key) throws -> Bool {
            record(key)
            return true
        }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
            record(key)
            return false
        }
        func decode(_ type: String.Type, forKey key: Key) throws -> String {
            record(key)
            return ""
        }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
            record(key)
            return 0
        }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
            record(key)
            return 0
        }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
            record(key)
            return 0
        }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
            record(key)
            return 0
        }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
            record(key)
            return 0
        }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
            record(key)
            return 0
        }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
            record(key)
            return 0
        }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
            record(key)
            return 0
        }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
            record(key)
            return 0
        }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
            record(key)
            return 0
        }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
            record(key)
            return 0
        }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
            record(key)
            return 0
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            record(key)
            return try T(from: Recorder(log: log, path: path + [key.stringValue]))
        }
        /// An optional value: recorded, its own fields visited, then absent.
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            record(key)
            _ = try? T(from: Recorder(log: log, path: path + [key.stringValue]))
            return nil
        }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            record(key)
            return KeyedDecodingContainer(Keyed<NestedKey>(log: log, path: path + [key.stringValue]))
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { throw Stop() }
        func superDecoder() throws -> any Decoder { Recorder(log: log, path: path) }
        func superDecoder(forKey key: Key) throws -> any Decoder { Recorder(log: log, path: path + [key.stringValue]) }
    }
}
