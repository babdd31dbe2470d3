/* void *UploadSafeAlloc(UploadRequest *req, SIZE_T size)  -- x86, cdecl
 * Registers a real EXCEPTION_REGISTRATION record {Next, Handler} on the stack at fs:[0] with
 * UploadSehHandler as handler, calls UploadAllocBuffer, unregisters. */
    .text
    .globl _UploadSafeAlloc
    .def _UploadSafeAlloc; .scl 2; .type 32; .endef
_UploadSafeAlloc:
    pushl %ebp
    movl %esp, %ebp
    pushl $_UploadSehHandler        /* EXCEPTION_REGISTRATION.Handler */
    pushl %fs:0                     /* EXCEPTION_REGISTRATION.Next */
    movl %esp, %fs:0
    pushl 12(%ebp)
    pushl 8(%ebp)
    call _UploadAllocBuffer
    addl $8, %esp
    popl %ecx
    movl %ecx, %fs:0
    addl $4, %esp
    popl %ebp
    ret
