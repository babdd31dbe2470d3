/* graphdsn.dll (Graphic Design Institute Image Scaler) - divzero: integer division by a zero
 * target width. */
#include "../common/lab.h"
LAB_NOIPA int GdComputeScale(int source, int target) {
    return source * 100 / target;        /* idiv by 0 */
}
LAB_EXPORT int GdScaleImage(int arg) {
    volatile int target = 0;
    return GdComputeScale(640 + arg, target);
}
