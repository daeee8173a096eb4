/* A tight integer loop of 100 million iterations (about 300 million instructions), then pass. */
#include "common.h"
    .section .text.init
    .globl _start
_start:
    li a0, 100000000
    li a1, 0
1:  add a1, a1, a0
    addi a0, a0, -1
    bnez a0, 1b
    EXIT(0)
TOHOST
