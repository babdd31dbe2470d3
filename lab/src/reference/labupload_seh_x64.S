/* void *UploadSafeAlloc(UploadRequest *req, SIZE_T size)  -- x64
 * A function whose .pdata/UNWIND_INFO names UploadSehHandler as its exception (language) handler. */
    .text
    .globl UploadSafeAlloc
    .def UploadSafeAlloc; .scl 2; .type 32; .endef
    .seh_proc UploadSafeAlloc
UploadSafeAlloc:
    pushq %rbp
    .seh_pushreg %rbp
    subq $32, %rsp
    .seh_stackalloc 32
    leaq 32(%rsp), %rbp
    .seh_setframe %rbp, 32
    .seh_endprologue
    .seh_handler UploadSehHandler, @except
    call UploadAllocBuffer
    nop
    addq $32, %rsp
    popq %rbp
    ret
    .seh_endproc
