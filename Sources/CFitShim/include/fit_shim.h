#ifndef FIT_SHIM_H
#define FIT_SHIM_H

#include "fit_bench.h"  /* the hardware micro-benchmark kernels (fit bench hardware) */

/// What fit needs from libpci that Swift cannot call directly: `pci_fill_info` is a macro,
/// `pci_lookup_name` is variadic, and the default error handler calls exit(1).

typedef struct {
    unsigned int domain;
    unsigned char bus, dev, func;
    unsigned short vendor_id, device_id;
    unsigned int device_class;          /* base class << 8 | subclass, e.g. 0x0300 */
    unsigned short subsys_vendor_id, subsys_device_id;
    char vendor_name[128];
    char device_name[256];
} fit_pci_device;

/// Lists PCI devices through libpci's sysfs method (names are looked up for GPU classes only). `sysfs_path` is the `bus/pci` folder
/// (NULL: /sys/bus/pci); `ids_path` a pci.ids file (NULL: libpci's default).
/// Returns the number of devices written (at most `max`), or -1 with `error` filled in.
int fit_pci_list(const char *sysfs_path, const char *ids_path,
                 fit_pci_device *out, int max, char *error, int error_len);

#endif
