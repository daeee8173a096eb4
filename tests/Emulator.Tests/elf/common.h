/* HTIF exit: write (code << 1) | 1 to tohost; code 0 means pass. */
#define EXIT(code)          \
    li t6, ((code) << 1) | 1; \
    la t5, tohost;          \
    sd t6, 0(t5);           \
1:  j 1b

#define TOHOST              \
    .section .tohost, "aw"; \
    .align 3;               \
    .globl tohost;          \
tohost: .dword 0;           \
    .globl fromhost;        \
fromhost: .dword 0
