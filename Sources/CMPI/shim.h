// Open MPI's handles (MPI_COMM_WORLD, MPI_BYTE, MPI_IN_PLACE, ...) are macros over the
// addresses of its globals and do not import into Swift: each is a static inline function here.
#include <mpi.h>

static inline MPI_Comm plexus_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype plexus_mpi_byte(void) { return MPI_BYTE; }
static inline int plexus_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int plexus_mpi_success(void) { return MPI_SUCCESS; }
