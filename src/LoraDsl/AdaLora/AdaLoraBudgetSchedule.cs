namespace LoraDsl.AdaLora;

/// <summary>
/// PEFT's <c>RankAllocator.budget_schedule</c>: the full budget b⁽⁰⁾ (Σ initial ranks) up to tinit, then
/// b(t) = ⌊(b⁽⁰⁾ − b⁽ᵀ⁾)·(1 − (t − tinit)/(T − tfinal − tinit))³ + b⁽ᵀ⁾⌋ with a reallocation every deltaT steps,
/// and the target b⁽ᵀ⁾ = target_r · modules after T − tfinal.
/// </summary>
internal sealed record AdaLoraBudgetSchedule(int InitialBudget, int TargetBudget, int TInit, int TFinal, int DeltaT, int TotalStep)
{
    /// <summary>The schedule of <paramref name="modules"/> adapters that all start at init_r.</summary>
    public static AdaLoraBudgetSchedule For(AdaLoraOptions options, int modules)
    {
        options.Validate();
        return new(options.InitR * modules, options.TargetR * modules, options.TInit, options.TFinal, options.DeltaT, options.TotalStep!.Value);
    }

    public AdaLoraBudget At(int step)
    {
        if (step <= TInit) return new(InitialBudget, false);
        if (step > TotalStep - TFinal) return new(TargetBudget, true);
        var remaining = 1 - (step - TInit) / (double)(TotalStep - TFinal - TInit);
        var budget = (int)((InitialBudget - TargetBudget) * Math.Pow(remaining, 3) + TargetBudget);
        return new(budget, step % DeltaT == 0);
    }
}
