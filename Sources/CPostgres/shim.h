#ifndef EDGELEDGER_CPOSTGRES_SHIM_H
#define EDGELEDGER_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
