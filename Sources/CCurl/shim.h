#ifndef SHOAL_CCURL_SHIM_H
#define SHOAL_CCURL_SHIM_H

#include <curl/curl.h>

/*
 * curl_easy_setopt and curl_multi_setopt are variadic macros/functions, which Swift cannot
 * call. Each wrapper below fixes the argument type for one family of options, so Swift
 * calls a typed function and the compiler checks what it passes.
 */

static inline CURLcode shoal_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode shoal_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode shoal_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode shoal_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode shoal_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*shoal_curl_data_callback)(char *data, size_t size, size_t count, void *userdata);

static inline CURLcode shoal_curl_easy_setopt_data_callback(CURL *handle, CURLoption option, shoal_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode shoal_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode shoal_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode shoal_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

/* CURLVERSION_NOW is a macro Swift cannot import. */
static inline curl_version_info_data *shoal_curl_version_info(void) {
    return curl_version_info(CURLVERSION_NOW);
}

/* CURLPAUSE_CONT and CURL_WRITEFUNC_PAUSE are expression macros Swift cannot import. */
static inline CURLcode shoal_curl_easy_unpause(CURL *handle) {
    return curl_easy_pause(handle, CURLPAUSE_CONT);
}

static inline size_t shoal_curl_writefunc_pause(void) {
    return CURL_WRITEFUNC_PAUSE;
}

#endif
