// Typed wrappers for libcurl's variadic curl_easy_setopt and curl_easy_getinfo, which Swift
// cannot call directly: one per argument type the Docker Engine client passes.
#ifndef SHOAL_CURL_SHIM_H
#define SHOAL_CURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*shoal_curl_data_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode shoal_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode shoal_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode shoal_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode shoal_curl_set_list(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode shoal_curl_set_callback(CURL *handle, CURLoption option, shoal_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode shoal_curl_set_size(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode shoal_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
