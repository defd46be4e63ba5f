/* host_read.c: the baseline for block throughput: read a whole file or block
 * device on the host with pread in fixed-size requests, the same system call
 * uniroot-vmm makes for each guest block read.
 *
 *   host-read PATH CHUNK_BYTES  ->  "bytes=N ns=T mib_per_s=R"
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    if (argc != 3) {
        fprintf(stderr, "usage: host-read PATH CHUNK_BYTES\n");
        return 2;
    }
    size_t chunk = strtoul(argv[2], NULL, 10);
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || chunk == 0) {
        perror("host-read");
        return 1;
    }
    char *buf = malloc(chunk);
    struct timespec t0, t1;
    uint64_t total = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (off_t off = 0; off < st.st_size; off += (off_t)chunk) {
        ssize_t n = pread(fd, buf, chunk, off);
        if (n <= 0) {
            perror("host-read: pread");
            return 1;
        }
        total += (uint64_t)n;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)(t1.tv_nsec - t0.tv_nsec);
    printf("bytes=%llu ns=%llu mib_per_s=%.1f\n", (unsigned long long)total, (unsigned long long)ns,
           (double)total / (1 << 20) / ((double)ns / 1e9));
    free(buf);
    close(fd);
    return 0;
}
