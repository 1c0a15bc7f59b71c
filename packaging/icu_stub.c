/* An empty ICU common-data package for the Linux bundle: the one symbol libicuuc links against
 * (icudt<major>_dat), holding no items, in place of PySide6's 32 MB libicudata.so.<major>.
 *
 * Qt links ICU on Linux but this app uses nothing that needs its data (no QCollator, no non-UTF
 * QStringConverter codecs, no ICU time zones; netsh output is decoded with Python's codecs): with no
 * data ICU reports "missing resource" and Qt falls back to its own tables. The layout is ICU's own
 * stubdata (icu4c/source/stubdata): a 32-byte header, the "CmnD" format, and a table of contents
 * with zero entries. packaging/build.py compiles it with -DICU_MAJOR=<major>; Windows builds do not
 * use it (Qt uses Windows' own ICU there). */
#include <stdint.h>

#ifndef ICU_MAJOR
#error compile with -DICU_MAJOR=<the ICU major version of PySide6's libicudata.so.N>
#endif
#define ENTRY_NAME(major) icudt##major##_dat
#define ENTRY(major) ENTRY_NAME(major)

typedef struct {
    uint16_t headerSize;
    uint8_t magic1, magic2;
    uint16_t infoSize, infoReserved;
    uint8_t isBigEndian, charsetFamily, sizeofUChar, infoReservedByte;
    uint8_t dataFormat[4], formatVersion[4], dataVersion[4];
    uint8_t padding[8];
    uint32_t count, reserved;
} EmptyCommonData;

__attribute__((visibility("default"))) const EmptyCommonData ENTRY(ICU_MAJOR) = {
    32, 0xda, 0x27,
    20, 0,
    0 /* little endian */, 0 /* ASCII family */, 2, 0,
    {0x43, 0x6d, 0x6e, 0x44} /* "CmnD" */, {1, 0, 0, 0}, {0, 0, 0, 0},
    {0},
    0 /* no items */, 0,
};
