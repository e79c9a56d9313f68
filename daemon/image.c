// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Container images: fetched with libcurl (http, https, file), checked
 * against a sha256 when one is given, unpacked once per digest with
 * libarchive (tar, tar.gz, tar.xz, tar.zst) into STATE/images/DIGEST/rootfs,
 * refusing entries that would land outside it.  Runs in a worker process:
 * the daemon never waits for a download.
 */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image.h"

struct download {
	FILE *f;
	EVP_MD_CTX *md;
	int progress_fd;
	struct timespec last;
};

/* "P DONE TOTAL" lines to the daemon, ten a second at most. */
static int on_progress(void *arg, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
	struct download *dl = arg;
	struct timespec ts;

	if (dl->progress_fd < 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((ts.tv_sec - dl->last.tv_sec) * 1000000000L + (ts.tv_nsec - dl->last.tv_nsec) <
	    100000000L)
		return 0;
	dl->last = ts;
	dprintf(dl->progress_fd, "P %lld %lld\n", (long long)now, (long long)total);
	return 0;
}

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct download *dl = arg;

	if (fwrite(data, size, n, dl->f) != n)
		return 0;
	EVP_DigestUpdate(dl->md, data, size * n);
	return size * n;
}

/* Fetch @url into @path; the sha256 of the bytes (hex) into @hex. */
static int fetch(const char *url, const char *path, int progress_fd, char hex[65], char *err,
		 size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct download dl = { .progress_fd = progress_fd };
	unsigned char digest[32];
	unsigned int dlen = 0;
	long code = 0;
	CURLcode rc;
	CURL *curl;
	int r = 0;

	dl.f = fopen(path, "we");
	if (!dl.f)
		return fail(err, errlen, -errno, "cannot create %s: %s", path, strerror(errno));
	dl.md = EVP_MD_CTX_new();
	curl = curl_easy_init();
	if (!dl.md || !curl || !EVP_DigestInit_ex(dl.md, EVP_sha256(), NULL)) {
		r = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 15L);
	/* A stalled transfer (under 1 KB/s for 30 s) is an error, not a hang. */
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &dl);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &dl);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		if (rc == CURLE_HTTP_RETURNED_ERROR)
			r = fail(err, errlen, -EIO, "cannot fetch %s: the server answered HTTP %ld",
				 url, code);
		else
			r = fail(err, errlen, -EIO, "cannot fetch %s: %s", url,
				 curl_err[0] ? curl_err : curl_easy_strerror(rc));
		goto out;
	}
	if (fflush(dl.f) != 0) {
		r = fail(err, errlen, -errno, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	EVP_DigestFinal_ex(dl.md, digest, &dlen);
	for (unsigned int i = 0; i < dlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
out:
	if (curl)
		curl_easy_cleanup(curl);
	EVP_MD_CTX_free(dl.md);
	fclose(dl.f);
	return r;
}

/* Is @name, a path inside the archive, one that stays inside the root? */
static bool inside_root(const char *name)
{
	const char *p = name;

	if (name[0] == '/')
		return false;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += len;
		while (*p == '/')
			p++;
	}
	return true;
}

/* Unpack @tarball into @dir, refusing any entry that would leave it. */
static int unpack(const char *tarball, const char *dir, char *err, size_t errlen)
{
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	struct archive_entry *e;
	int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
		    ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	int r = 0, a;

	if (!in || !out)
		return fail(err, errlen, -ENOMEM, "out of memory");
	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	archive_read_support_filter_all(in);
	archive_write_disk_set_options(out, flags);
	archive_write_disk_set_standard_lookup(out);
	if (archive_read_open_filename(in, tarball, 65536) != ARCHIVE_OK) {
		r = fail(err, errlen, -EINVAL,
			 "the image is not a tar archive (tar, tar.gz, tar.xz "
			 "or tar.zst): %s",
			 archive_error_string(in));
		goto out;
	}
	/* Relative names, unpacked from inside @dir (this is the worker's own process). */
	if (chdir(dir) < 0) {
		r = fail(err, errlen, -errno, "cannot enter %s: %s", dir, strerror(errno));
		goto out;
	}
	while ((a = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		const char *link = archive_entry_hardlink(e);
		char name[PATH_MAX];

		snprintf(name, sizeof(name), "%s",
			 archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
		if (!name[0] || !inside_root(name) || (link && !inside_root(link))) {
			r = fail(err, errlen, -EPERM,
				 "the image has an entry that escapes its root ('%s'); refused",
				 name);
			goto out;
		}
		if (archive_write_header(out, e) < ARCHIVE_WARN) {
			r = fail(err, errlen, -EPERM, "cannot unpack '%s': %s", name,
				 archive_error_string(out));
			goto out;
		}
		for (;;) {
			const void *buf;
			size_t size;
			la_int64_t off;
			int rb = archive_read_data_block(in, &buf, &size, &off);

			if (rb == ARCHIVE_EOF)
				break;
			if (rb < ARCHIVE_WARN ||
			    archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN) {
				r = fail(err, errlen, -EIO, "cannot unpack '%s': %s", name,
					 archive_error_string(rb < ARCHIVE_WARN ? in : out));
				goto out;
			}
		}
		if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
			r = fail(err, errlen, -EIO, "cannot unpack '%s': %s", name,
				 archive_error_string(out));
			goto out;
		}
	}
	if (a != ARCHIVE_EOF)
		r = fail(err, errlen, -EINVAL, "the image archive is damaged: %s",
			 archive_error_string(in));
out:
	archive_read_free(in);
	archive_write_free(out);
	return r;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void rm_rf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int image_fetch(const char *images_dir, const char *url, const char *want_sha256, int progress_fd,
		char *ret_rootfs, size_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX], unpack_dir[PATH_MAX], dir[PATH_MAX], hex[65] = "";
	int fd, r;

	if (mkdir(images_dir, 0700) < 0 && errno != EEXIST)
		return fail(err, errlen, -errno, "cannot create %s: %s", images_dir,
			    strerror(errno));
	/* A digest names its content: one stored under it needs no download. */
	if (want_sha256) {
		for (int i = 0; i < 64 && want_sha256[i]; i++)
			hex[i] = (char)tolower((unsigned char)want_sha256[i]);
		snprintf(ret_rootfs, len, "%s/%s/rootfs", images_dir, hex);
		if (strlen(hex) == 64 && access(ret_rootfs, F_OK) == 0)
			return 0;
		hex[0] = '\0';
	}
	snprintf(tmp, sizeof(tmp), "%s/.download.XXXXXX", images_dir);
	fd = mkstemp(tmp);
	if (fd < 0)
		return fail(err, errlen, -errno, "cannot create a file in %s: %s", images_dir,
			    strerror(errno));
	close(fd);
	r = fetch(url, tmp, progress_fd, hex, err, errlen);
	if (r == 0 && want_sha256 && strcasecmp(want_sha256, hex) != 0)
		r = fail(err, errlen, -EBADMSG,
			 "sha256 mismatch for %s: expected %s, got %s; nothing was kept", url,
			 want_sha256, hex);
	if (r < 0)
		goto out_unlink;

	snprintf(dir, sizeof(dir), "%s/%s", images_dir, hex);
	snprintf(ret_rootfs, len, "%s/rootfs", dir);
	if (access(ret_rootfs, F_OK) == 0)
		goto out_unlink; /* unpacked before: shared */
	snprintf(unpack_dir, sizeof(unpack_dir), "%s/.unpack.%s.%d", images_dir, hex,
		 (int)getpid());
	if (mkdir(unpack_dir, 0755) < 0) {
		r = fail(err, errlen, -errno, "cannot create %s: %s", unpack_dir, strerror(errno));
		goto out_unlink;
	}
	r = unpack(tmp, unpack_dir, err, errlen);
	if (r == 0 && (mkdir(dir, 0755) < 0 && errno != EEXIST))
		r = fail(err, errlen, -errno, "cannot create %s: %s", dir, strerror(errno));
	if (r == 0 && rename(unpack_dir, ret_rootfs) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		r = fail(err, errlen, -errno, "cannot store the image in %s: %s", dir,
			 strerror(errno));
	rm_rf(unpack_dir);
	if (r < 0)
		rmdir(dir);
out_unlink:
	unlink(tmp);
	return r;
}
