// An LD_PRELOAD shim that makes the store's disk calls fail on demand, for the fault-injection tests.
// FAULTFS_CONTROL names a file whose first word says what fails from now on:
//   enospc      pwrite fails with ENOSPC (disk full)
//   eio         pwrite fails with EIO
//   fsync-eio   fdatasync and fsync fail with EIO (the data may have reached the page cache, not the disk)
//   dirsync-eio fsync of a directory fails with EIO (a new file's name may not be durable)
//   anything else, or no file: nothing fails.
// Only calls on regular files (and, for dirsync-eio, directories) are affected, so sockets, pipes and the logs on
// stdout/stderr keep working.
//
// FAULTFS_SYNCED names a file that, after every successful fdatasync or fsync of the store's log, holds the log's
// size then: the bytes that would survive a power cut. The power-loss test cuts the log back towards it.
// FAULTFS_SYNC_DELAY_US makes each fdatasync take that much longer, before it starts: a slow disk, on which a kill
// usually lands while written bytes are not yet synced (on a fast one, under a sanitizer's slowness, two dozen
// kills in a row could all miss that window).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int fault_on(const char *name, int fd, mode_t type) {
    const char *control = getenv("FAULTFS_CONTROL");
    if (control == NULL) return 0;
    struct stat info;
    if (fstat(fd, &info) != 0 || (info.st_mode & S_IFMT) != type) return 0;
    FILE *file = fopen(control, "r");
    if (file == NULL) return 0;
    char word[32] = {0};
    int matched = fscanf(file, "%31s", word) == 1 && strcmp(word, name) == 0;
    fclose(file);
    return matched;
}

static int fault_is(const char *name, int fd) { return fault_on(name, fd, S_IFREG); }

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (real == NULL) real = dlsym(RTLD_NEXT, "pwrite");
    if (fault_is("enospc", fd)) { errno = ENOSPC; return -1; }
    if (fault_is("eio", fd)) { errno = EIO; return -1; }
    return real(fd, buffer, count, offset);
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
    return pwrite(fd, buffer, count, offset);
}

// Records the size of a log that has just been synced. One fixed-width pwrite at offset 0: a kill -9 can land
// before or after it, never inside it, so the record is always whole.
static void record_synced(int fd) {
    const char *record = getenv("FAULTFS_SYNCED");
    if (record == NULL) return;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, path, sizeof path - 1);
    if (length < 0) return;
    path[length] = 0;
    const char *suffix = "/dimensions.log";
    if ((size_t)length < strlen(suffix) || strcmp(path + length - strlen(suffix), suffix) != 0) return;
    struct stat info;
    if (fstat(fd, &info) != 0) return;
    char line[32];
    int count = snprintf(line, sizeof line, "%020lld\n", (long long)info.st_size);
    int out = open(record, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (out < 0) return;
    static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
    if (real_pwrite == NULL) real_pwrite = dlsym(RTLD_NEXT, "pwrite");
    (void)real_pwrite(out, line, (size_t)count, 0);
    close(out);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (real == NULL) real = dlsym(RTLD_NEXT, "fdatasync");
    if (fault_is("fsync-eio", fd)) { errno = EIO; return -1; }
    const char *delay = getenv("FAULTFS_SYNC_DELAY_US");
    if (delay != NULL) usleep((useconds_t)atoi(delay));
    int result = real(fd);
    if (result == 0) record_synced(fd);
    return result;
}

int fsync(int fd) {
    static int (*real)(int);
    if (real == NULL) real = dlsym(RTLD_NEXT, "fsync");
    if (fault_is("fsync-eio", fd) || fault_on("dirsync-eio", fd, S_IFDIR)) { errno = EIO; return -1; }
    int result = real(fd);
    if (result == 0) record_synced(fd);
    return result;
}
