#ifndef CSECCOMP_H
#define CSECCOMP_H
// Thin shims over libseccomp for what Swift cannot call directly (variadic functions,
// function-like macros). Grows with the sandbox; for now it reports the library version.

/// libseccomp's runtime version as major*10000 + minor*100 + micro, or 0 if unknown.
unsigned int cseccomp_library_version(void);

#endif
