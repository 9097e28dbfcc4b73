namespace LoraDsl.Distributed;

/// <summary>
/// Whether this process was started by an MPI launcher (mpirun, mpiexec, srun), read from the variables the
/// launcher sets: Open MPI's OMPI_COMM_WORLD_SIZE, PMIx's PMIX_RANK, PMI's PMI_SIZE (MPICH, Slurm) and Slurm's SLURM_NTASKS.
/// </summary>
internal static class MpiLaunch
{
    /// <summary>The variables read, in order; the first one set gives the launcher's word.</summary>
    internal static readonly string[] Variables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "SLURM_NTASKS"];

    /// <summary>The name of the variable that says MPI launched this process, or null for a plain process.</summary>
    public static string? Detect(Func<string, string?> environment)
    {
        foreach (var name in Variables)
        {
            var value = environment(name);
            if (string.IsNullOrEmpty(value)) continue;
            // srun without --mpi sets SLURM_NTASKS in a batch job too: only more than one task means data-parallel.
            if (name == "SLURM_NTASKS" && (environment("SLURM_STEP_ID") is null || value == "1")) continue;
            return name;
        }
        return null;
    }

    public static string? Detect() => Detect(Environment.GetEnvironmentVariable);
}
