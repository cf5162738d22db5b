/* bench/minimal_responder.c - the reference for bench/http: the smallest useful libfcgi
 * responder (fixed JSON answer), served prefork on the same socket layout as vigil.
 * SPDX-License-Identifier: MIT */
#include <fcgiapp.h>

int main(void)
{
    FCGX_Request r;

    FCGX_Init();
    FCGX_InitRequest(&r, 0, 0);
    while (FCGX_Accept_r(&r) >= 0) {
        FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"ok\"}",
                  r.out);
        FCGX_Finish_r(&r);
    }
    return 0;
}
