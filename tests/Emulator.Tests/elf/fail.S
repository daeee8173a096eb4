/* Always fails with code 3 (tohost = 7). */
#include "common.h"
    .section .text.init
    .globl _start
_start:
    EXIT(3)
TOHOST
