#ifndef PORTCULLIS_CLIBFUZZER_H
#define PORTCULLIS_CLIBFUZZER_H

#include <stddef.h>

// libFuzzer's driver, exported by compiler-rt's libclang_rt.fuzzer (linked by -sanitize=fuzzer).
// Declared here because libFuzzer ships no header for it. The callback takes the input as
// `const void *` (the ABI of libFuzzer's `const uint8_t *`) so Swift sees an UnsafeRawPointer.
//
// Why the executables call it instead of relying on libFuzzer's own main(): SwiftPM links every
// Linux executable with `--defsym main=<Module>_main`, so the Swift file's top-level code is
// always main() (an empty one would just exit), and with -parse-as-library that symbol is
// missing and the link fails (swiftlang/swift-package-manager#4522, swiftlang/swift#75800).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const void *data, size_t size));

#endif
