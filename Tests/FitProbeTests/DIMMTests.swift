import FitCore
import Testing

@testable import FitProbe

/// The theoretical RAM bandwidth of a machine with its own DIMMs: SMBIOS type 17 through
/// `dmidecode -t 17` (root only), channels x configured speed x 8 bytes.
@Suite("DIMMs from SMBIOS")
struct DIMMTests {
    @Test("a real dual-channel laptop: two DDR4-3200 SODIMMs on channels A and B, 51.2 GB/s")
    func legion() async {
        let m = await recorded("legion-5-laptop")
        let d = m.memory.dimms?.value
        #expect(d == DIMMSummary(modules: 2, channels: 2, speedMTs: 3200, type: "DDR4", dataWidthBits: 64))
        #expect(d?.theoreticalGBs == 51.2)
        #expect(m.memory.dimms?.source == .dmidecode)
    }

    func device(
        _ locator: String, bank: String, size: String = "32 GB", speed: String = "Configured Memory Speed: 4800 MT/s",
        width: String = "72"
    ) -> String {
        "Handle 0x0040, DMI type 17, 92 bytes\nMemory Device\n\tTotal Width: 80 bits\n\tData Width: \(width == "72" ? "64" : width) bits\n\tSize: \(size)\n\tLocator: \(locator)\n\tBank Locator: \(bank)\n\tType: DDR5\n\t\(speed)\n\n"
    }

    @Test("two modules on one channel share it: DIMM_A1 and DIMM_A2 are one channel, DIMM_B1 another")
    func twoPerChannel() {
        let text =
            device("DIMM_A1", bank: "BANK 0") + device("DIMM_A2", bank: "BANK 0") + device("DIMM_B1", bank: "BANK 1")
        let d = DIMMSummary.parse(dmidecode: text)
        #expect(d?.modules == 3 && d?.channels == 2)
        #expect(d?.theoreticalGBs == 76.8)  // 2 channels x 4800 MT/s x 8 bytes
    }

    @Test("empty slots are skipped; modules at different speeds run at the slowest")
    func emptyAndMixed() {
        let text =
            device("DIMM 0", bank: "P0 CHANNEL A") + device("DIMM 1", bank: "P0 CHANNEL B", size: "No Module Installed")
            + device("DIMM 0", bank: "P0 CHANNEL B", speed: "Configured Memory Speed: 4400 MT/s")
        let d = DIMMSummary.parse(dmidecode: text)
        #expect(d?.modules == 2 && d?.channels == 2 && d?.speedMTs == 4400)
    }

    @Test("no SMBIOS (a VM), garbage, or no populated slot: nothing rather than a guess")
    func nothing() {
        #expect(DIMMSummary.parse(dmidecode: "# dmidecode 3.4\n# No SMBIOS nor DMI entry point found, sorry.\n") == nil)
        #expect(DIMMSummary.parse(dmidecode: "\u{0}\u{FFFD}Memory Device\n\tSize: lots\n") == nil)
        #expect(DIMMSummary.parse(dmidecode: device("DIMM 0", bank: "BANK 0", size: "No Module Installed")) == nil)
    }

    @Test("without root dmidecode cannot read SMBIOS: 'no permission', not 'no DIMMs'")
    func permission() async {
        struct Denied: CommandRunner {
            func run(_ tool: String, _ arguments: [String], timeout: Duration) async -> CommandResult {
                // what dmidecode 3.4 prints as an ordinary user
                CommandResult(
                    ending: .exited(1), stdout: "# dmidecode 3.4\n",
                    stderr:
                        "/sys/firmware/dmi/tables/smbios_entry_point: Permission denied\nScanning /dev/mem for entry point.\n/dev/mem: Permission denied\n"
                )
            }
        }
        let prober = MachineProber(root: SystemRoot("/nonexistent/"), runner: Denied(), useLibraries: false)
        let f = await prober.probeDIMMs()
        #expect(f.value == nil && f.status == .noPermission)
        #expect(f.detail?.contains("Permission denied") == true)
    }

    @Test("a VM without SMBIOS tables: absent, not an error")
    func noTables() async {
        struct VM: CommandRunner {
            func run(_ tool: String, _ arguments: [String], timeout: Duration) async -> CommandResult {
                CommandResult(
                    ending: .exited(0), stdout: "# dmidecode 3.4\n# No SMBIOS nor DMI entry point found, sorry.\n")
            }
        }
        let f = await MachineProber(root: SystemRoot("/nonexistent/"), runner: VM(), useLibraries: false).probeDIMMs()
        #expect(f.value == nil && f.status == .absent)
    }
}
