/* start.S: the guest entry point. The monitor enters here in long mode with
 * %rdi = gpa of struct hvt_boot_info and %rsp = top of memory - 8; we align
 * the stack for the SysV ABI and call guest_start(boot_info), which never
 * returns. If it somehow does, halt the vCPU forever. */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    andq $-16, %rsp
    xorl %ebp, %ebp
    call guest_start
1:  hlt
    jmp 1b
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
