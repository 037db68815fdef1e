/*
 * Limine requests, as data the bootloader scans for between the start and
 * end markers. The block's layout is mirrored by Molt.Boot.LimineRequests
 * (kernel/Firmware/Boot/Limine.cs); keep the two in step. Limine 11 and later accept
 * only base revision 6 on aarch64.
 */
#define BASE_REVISION 6
#include "../../kernel/Firmware/Boot/limine-requests.inc"
