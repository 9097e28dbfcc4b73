namespace LoraDsl.Adapters.Combination;

/// <summary>PEFT's <c>majority_sign_method</c>: how TIES elects each entry's sign.</summary>
public enum MajoritySignMethod
{
    /// <summary>"total": the sign of the sum of the values.</summary>
    Total,

    /// <summary>"frequency": the sign most tensors have.</summary>
    Frequency,
}
