#if canImport(Glibc)
import Glibc
#endif
import Proxy

@main
struct ProxyCommand {
    static func main() {
        let arguments = Array(Swift.CommandLine.arguments.dropFirst())
        do {
            switch try Proxy.CommandLine.parse(arguments) {
            case .help(let text), .version(let text):
                print(text)
                exit(0)
            case .checkSandbox:
                exit(SandboxCheck.run())
            case .printSandboxPolicy:
                SandboxCheck.printPolicies()
                exit(0)
            case .run(let box):
                exit(ProxyServer.run(box.config))
            }
        } catch {
            ProxyServer.printError("proxy: \(error.message)\n\(Proxy.CommandLine.usage)\n")
            exit(2)
        }
    }
}
