namespace LoraDsl.Training;

public enum TrainingStatus
{
    /// <summary>All planned steps ran.</summary>
    Completed,

    /// <summary>Stopped by the cancellation token; a last checkpoint was written for resuming.</summary>
    Cancelled,

    /// <summary>Loss or gradient norm became NaN/inf; the last good checkpoint is kept untouched.</summary>
    Diverged,
}
