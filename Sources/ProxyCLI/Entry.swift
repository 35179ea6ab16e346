import Proxy

@main
struct ProxyCommand {
    static func main() {
        print("portcullis \(PortcullisVersion.string) (libseccomp \(PortcullisVersion.seccompLibrary))")
    }
}
