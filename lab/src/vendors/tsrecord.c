/* tsrecord.dll (Tailspin Toys Record Store) - nullwrite: a lookup miss returns NULL and the
 * caller writes a field at offset 0x18 of the NULL record. */
#include "../common/lab.h"
typedef struct TsRecord { char key[16]; int flags; int version; int status; int pad; } TsRecord;  /* status @ 0x18 */
static TsRecord g_records[4];
LAB_NOIPA TsRecord *TsRecordLookup(int id) {
    return id < 4 ? &g_records[id] : NULL;      /* id 7: not found */
}
LAB_NOIPA void TsRecordSetStatus(TsRecord *rec, int status) {
    rec->status = status;                        /* write to 0x00000018 */
}
LAB_EXPORT int TsRecordCommit(int id) {
    TsRecord *rec = TsRecordLookup(id);
    TsRecordSetStatus(rec, 2);
    return rec->version;
}
