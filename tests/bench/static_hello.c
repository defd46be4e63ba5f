/* static_hello.c: the process floor of the spt benchmark (tests/bench/spt.sh):
 * a statically linked program that prints the hello guest's greeting and
 * exits, so fork + exec + exit of the least a process can be is timed beside
 * uniroot-spt booting hello.spt. */
#include <stdio.h>

int main(void)
{
    puts("Hello, uniroot!");
    return 0;
}
