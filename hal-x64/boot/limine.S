/*
 * Limine requests, as data the bootloader scans for between the start and
 * end markers. The block's layout is mirrored by Molt.Boot.LimineRequests
 * (kernel/Firmware/Boot/Limine.cs); keep the two in step. The same file exists for
 * AArch64 with its own base revision.
 */
#define BASE_REVISION 3
#include "../../kernel/Firmware/Boot/limine-requests.inc"
