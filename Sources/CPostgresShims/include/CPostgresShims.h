// The C edge for libpq (Debian's libpq5, PostgreSQL 15): its header, for the types (the functions are looked up
// at run time, see Sources/PostgresStore/LibPQ.swift), plus what Swift cannot import because libpq defines it as a
// macro. No logic in C.
#ifndef CPOSTGRESSHIMS_H
#define CPOSTGRESSHIMS_H

#include <postgresql/libpq-fe.h>

/// The field code of a result's SQLSTATE (PG_DIAG_SQLSTATE is a character-literal macro).
static inline int cpq_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int cpq_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }

#endif
