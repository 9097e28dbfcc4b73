namespace LoraDsl.Distributed;

/// <summary>Whether a recipe trains data-parallel (<c>training.data_parallel</c>).</summary>
public enum DataParallelMode
{
    /// <summary>Data-parallel when an MPI launcher (mpirun, srun) started several processes; one process otherwise.</summary>
    Auto,

    /// <summary>Refuse to train unless launched as two or more MPI processes.</summary>
    Required,

    /// <summary>One process only: refuse an MPI launch of several processes (each would train alone into one folder).</summary>
    Off,
}
