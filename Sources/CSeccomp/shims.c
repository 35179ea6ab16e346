#include "CSeccomp.h"
#include <stddef.h>
#include <seccomp.h>

unsigned int cseccomp_library_version(void) {
    const struct scmp_version *v = seccomp_version();
    if (v == NULL) return 0;
    return v->major * 10000u + v->minor * 100u + v->micro;
}
