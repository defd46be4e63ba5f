#include "guest.h"
GUEST_MANIFEST();
int guest_main(int argc, char **argv) { (void)argc; (void)argv; return 0; }
