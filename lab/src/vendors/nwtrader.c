/* nwtrader.dll (Northwind Traders Order Service) - breakpoint: a leftover debug break
 * (__debugbreak / int3) in release code, no debugger to take it. */
#include "../common/lab.h"
LAB_NOIPA int NwValidateOrder(int qty) {
    if (qty > 5) __asm__ volatile ("int3");
    return qty;
}
LAB_EXPORT int NwPostOrder(int qty) {
    return NwValidateOrder(qty) * 2;
}
