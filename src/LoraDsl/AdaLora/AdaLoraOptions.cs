namespace LoraDsl.AdaLora;

/// <summary>
/// PEFT's <c>AdaLoraConfig</c> fields (names and defaults): the rank starts at <see cref="InitR"/> per module and
/// the total budget shrinks on a cubic schedule to <see cref="TargetR"/> per module on average. LoRA's alpha and
/// dropout come from the LoRA options; LoRA's r is not used (PEFT ignores it too).
/// </summary>
public sealed record AdaLoraOptions
{
    /// <summary>PEFT <c>target_r</c>: the average rank per module at the end.</summary>
    public int TargetR { get; init; } = 8;

    /// <summary>PEFT <c>init_r</c>: every module's rank at the start.</summary>
    public int InitR { get; init; } = 12;

    /// <summary>PEFT <c>tinit</c>: steps of full budget before pruning starts.</summary>
    public int TInit { get; init; }

    /// <summary>PEFT <c>tfinal</c>: steps at the end that train the final ranks without reallocating.</summary>
    public int TFinal { get; init; }

    /// <summary>PEFT <c>deltaT</c>: steps between two allocations.</summary>
    public int DeltaT { get; init; } = 1;

    /// <summary>PEFT <c>beta1</c>: EMA factor of the sensitivity.</summary>
    public double Beta1 { get; init; } = 0.85;

    /// <summary>PEFT <c>beta2</c>: EMA factor of the uncertainty.</summary>
    public double Beta2 { get; init; } = 0.85;

    /// <summary>PEFT <c>orth_reg_weight</c>: weight of the orthogonality penalty added to the loss.</summary>
    public double OrthRegWeight { get; init; } = 0.5;

    /// <summary>PEFT <c>total_step</c>: the run's optimiser steps; required (the loop knows it from its plan).</summary>
    public int? TotalStep { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for settings PEFT rejects, and for ones that cannot schedule a budget.</summary>
    public void Validate()
    {
        if (InitR <= 0) throw new ArgumentException($"AdaLoRA init_r must be positive, got {InitR}.");
        if (TargetR <= 0) throw new ArgumentException($"AdaLoRA target_r must be positive, got {TargetR}.");
        if (TargetR > InitR) throw new ArgumentException($"AdaLoRA target_r ({TargetR}) cannot exceed init_r ({InitR}): the budget only shrinks.");
        if (TInit < 0) throw new ArgumentException($"AdaLoRA tinit must be 0 or more, got {TInit}.");
        if (TFinal < 0) throw new ArgumentException($"AdaLoRA tfinal must be 0 or more, got {TFinal}.");
        if (DeltaT <= 0) throw new ArgumentException($"AdaLoRA deltaT must be positive, got {DeltaT}.");
        if (!(Beta1 > 0 && Beta1 < 1)) throw new ArgumentException($"AdaLoRA beta1 must be in (0, 1), got {Beta1}.");
        if (!(Beta2 > 0 && Beta2 < 1)) throw new ArgumentException($"AdaLoRA beta2 must be in (0, 1), got {Beta2}.");
        if (!(OrthRegWeight >= 0) || double.IsInfinity(OrthRegWeight))
            throw new ArgumentException($"AdaLoRA orth_reg_weight must be 0 or more, got {OrthRegWeight}.");
        if (TotalStep is not { } total || total <= 0)
            throw new ArgumentException($"AdaLoRA needs total_step > 0 (the run's optimiser steps), got {(TotalStep is { } t ? t : "none")}.");
        if (TInit >= total - TFinal)
            throw new ArgumentException($"AdaLoRA's schedule leaves no budgeting phase: tinit ({TInit}) must be below total_step ({total}) - tfinal ({TFinal}). Decrease tfinal/tinit or increase total_step.");
    }
}
