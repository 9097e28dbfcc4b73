using Xunit;

namespace LoraDsl.Tests.Distributed;

/// <summary>A test that launches MPI jobs: skipped, with the reason, where Open MPI's mpirun is not installed.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiJob.Mpirun is null) Skip = "mpirun not found on PATH: install Open MPI (Debian: apt-get install openmpi-bin) to run the data-parallel tests.";
    }
}
