/* fourthcf.dll (Fourth Coffee Instrument Driver) - illegal: a "can't happen" branch compiled to
 * ud2 (__builtin_trap) is reached. */
#include "../common/lab.h"
LAB_NOIPA int FcReadRegister(int reg) {
    if (reg > 3) __builtin_trap();       /* ud2 */
    return reg * 16;
}
LAB_EXPORT int FcCalibrateSensor(int arg) {
    return FcReadRegister(arg) + 1;
}
