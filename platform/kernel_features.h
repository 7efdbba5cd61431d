/* features.h: run-time checks of the kernel features interpoll needs. */
#ifndef INTERPOLL_KERNEL_FEATURES_H
#define INTERPOLL_KERNEL_FEATURES_H

/* Each prints one line and returns -1 when a required feature is missing. */
int features_check_host(void);
/* A one-line reason for a filter_load() error, or NULL. */
const char *features_load_error(int err);

#endif
