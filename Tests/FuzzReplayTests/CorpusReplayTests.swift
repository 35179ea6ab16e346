import Foundation
import FuzzTargets
import Testing

/// Replays every file of `corpus/<target>/` and `corpus/regressions/<target>/` through its
/// fuzz target, the code the libFuzzer executables run (Fuzz/), so seeds and past crashes are
/// checked on every `swift test`. The differential corpora (llhttp is linked only in Fuzz/)
/// replay through the request or response target whose encoding they share. A broken invariant fails the file's test with its message;
/// a missing or empty seed folder fails too, so the replay cannot silently run nothing.
@Suite struct CorpusReplayTests {
    /// The repository's corpus/ folder, found from this file's path.
    static let corpus: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // FuzzReplayTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()   // repository root
        .appendingPathComponent("corpus", isDirectory: true)

    /// Regular files in `folder`, sorted by name (hidden files and README.md skipped);
    /// nil when the folder does not exist.
    static func inputs(in folder: URL) throws -> [URL]? {
        guard (try? folder.resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory == true else { return nil }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
            .filter { !$0.lastPathComponent.hasPrefix(".") && $0.lastPathComponent != "README.md" }
            .filter { try $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Runs `files` through `target`; one issue per broken invariant, naming the file.
    static func replay(_ files: [URL], through target: FuzzTarget) throws {
        for file in files {
            let data = [UInt8](try Data(contentsOf: file))
            if let violation = target.check(data) {
                Issue.record("\(target.rawValue): \(file.lastPathComponent): \(violation.message)")
            }
        }
    }

    @Test("Seed corpus replays without a broken invariant", arguments: FuzzTarget.allCases)
    func seeds(_ target: FuzzTarget) throws {
        let folder = Self.corpus.appendingPathComponent(target.rawValue, isDirectory: true)
        let files = try #require(try Self.inputs(in: folder), "missing corpus folder \(folder.path)")
        #expect(!files.isEmpty, "empty corpus folder \(folder.path)")
        try Self.replay(files, through: target)
        print("FuzzReplayTests: \(target.rawValue): replayed \(files.count) corpus files")
    }

    @Test("Regression inputs replay without a broken invariant", arguments: FuzzTarget.allCases)
    func regressions(_ target: FuzzTarget) throws {
        let root = Self.corpus.appendingPathComponent("regressions", isDirectory: true)
        #expect(try Self.inputs(in: root) != nil, "missing folder \(root.path)")
        // A target may have no regression yet; its folder is then optional.
        let files = try Self.inputs(in: root.appendingPathComponent(target.rawValue, isDirectory: true)) ?? []
        try Self.replay(files, through: target)
        print("FuzzReplayTests: \(target.rawValue): replayed \(files.count) regression files")
    }

    @Test("Differential corpora replay through the SafeParse target sharing their encoding",
          arguments: FuzzTarget.fuzzPackageOnly.keys.sorted())
    func differential(_ name: String) throws {
        let target = try #require(FuzzTarget.fuzzPackageOnly[name])
        let folder = Self.corpus.appendingPathComponent(name, isDirectory: true)
        let files = try #require(try Self.inputs(in: folder), "missing corpus folder \(folder.path)")
        #expect(!files.isEmpty, "empty corpus folder \(folder.path)")
        let regressions = try Self.inputs(in: Self.corpus.appendingPathComponent("regressions/\(name)", isDirectory: true)) ?? []
        try Self.replay(files + regressions, through: target)
        print("FuzzReplayTests: \(name): replayed \(files.count) corpus and \(regressions.count) regression files through \(target.rawValue)")
    }

    @Test("Every corpus folder belongs to a target")
    func noStrayFolders() throws {
        let names = Set(FuzzTarget.allCases.map(\.rawValue)).union(FuzzTarget.fuzzPackageOnly.keys)
        for folder in [Self.corpus, Self.corpus.appendingPathComponent("regressions", isDirectory: true)] {
            let entries = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            for name in entries where !name.hasPrefix(".") && name != "README.md" && name != "regressions" {
                #expect(names.contains(name), "\(folder.path)/\(name) is not a fuzz target's folder")
            }
        }
    }
}
