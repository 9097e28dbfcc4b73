// Linked into generators/LoraDsl.Generators: compile-time diagnostics and run-time validation check one rule per setting.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace LoraDsl.Dsl;

/// <summary>
/// One recipe setting: its <c>--set</c> key, the builder method that sets it (<c>r.Training(t => t.LearningRate(…))</c>),
/// its kind and the rule its value must follow. The runtime's setting table and the generator's diagnostics both read it.
/// </summary>
internal sealed class SettingInfo
{
    public SettingInfo(string key, string builder, string method, SettingKind kind, string description)
    {
        Key = key;
        Builder = builder;
        Method = method;
        Kind = kind;
        Description = description;
    }

    /// <summary>The <c>--set</c> key, e.g. <c>training.lr</c>.</summary>
    public string Key { get; }

    /// <summary>The part of the recipe builder it belongs to: Model, Lora, Data, Training or Recipe (the root builder).</summary>
    public string Builder { get; }

    /// <summary>The builder method that sets it from one argument (its first argument for multi-argument methods).</summary>
    public string Method { get; }

    public SettingKind Kind { get; }

    public string Description { get; }

    /// <summary>Other keys accepted for this setting (e.g. <c>lora.rank</c> for <c>lora.r</c>).</summary>
    public IReadOnlyList<string> Aliases { get; private set; } = Array.Empty<string>();

    /// <summary>The values a <see cref="SettingKind.Choice"/> setting takes, as written after <c>--set</c>.</summary>
    public IReadOnlyList<string> Choices { get; private set; } = Array.Empty<string>();

    /// <summary>Smallest allowed value; <see cref="MinimumIsExclusive"/> says whether it is allowed itself.</summary>
    public double? Minimum { get; private set; }

    public bool MinimumIsExclusive { get; private set; }

    /// <summary>Largest allowed value; <see cref="MaximumIsExclusive"/> says whether it is allowed itself.</summary>
    public double? Maximum { get; private set; }

    public bool MaximumIsExclusive { get; private set; }

    /// <summary>The usual range; a value outside it is legal but gets a warning naming the range.</summary>
    public double? UsualMinimum { get; private set; }

    public double? UsualMaximum { get; private set; }

    /// <summary>Whether a value of exactly <see cref="Minimum"/> gets a warning (e.g. a validation fraction of 0: no evaluation).</summary>
    public string? WarningAtMinimum { get; private set; }

    public SettingInfo WithAliases(params string[] aliases)
    {
        Aliases = aliases;
        return this;
    }

    public SettingInfo WithChoices(params string[] choices)
    {
        Choices = choices;
        return this;
    }

    public SettingInfo AtLeast(double minimum, string? warningAtMinimum = null)
    {
        Minimum = minimum;
        MinimumIsExclusive = false;
        WarningAtMinimum = warningAtMinimum;
        return this;
    }

    public SettingInfo Positive()
    {
        Minimum = 0;
        MinimumIsExclusive = true;
        return this;
    }

    public SettingInfo AtMost(double maximum)
    {
        Maximum = maximum;
        MaximumIsExclusive = false;
        return this;
    }

    public SettingInfo Below(double maximum)
    {
        Maximum = maximum;
        MaximumIsExclusive = true;
        return this;
    }

    public SettingInfo UsuallyBetween(double minimum, double maximum)
    {
        UsualMinimum = minimum;
        UsualMaximum = maximum;
        return this;
    }

    /// <summary>Whether <paramref name="key"/> names this setting.</summary>
    public bool Matches(string key)
    {
        if (key == Key) return true;
        foreach (var alias in Aliases)
            if (alias == key) return true;
        return false;
    }

    /// <summary>A message format of its own for <see cref="Error"/> ({0} the value), e.g. the LoRA rank's.</summary>
    public string? ErrorFormat { get; private set; }

    public SettingInfo WithErrorFormat(string format)
    {
        ErrorFormat = format;
        return this;
    }

    /// <summary>The allowed range in words, e.g. "positive", "in [0, 1)".</summary>
    public string RangeText
    {
        get
        {
            if (Minimum is { } min && Maximum is { } max)
                return "in " + (MinimumIsExclusive ? "(" : "[") + Format(min) + ", " + Format(max) + (MaximumIsExclusive ? ")" : "]");
            if (Minimum is { } low) return low == 0 ? (MinimumIsExclusive ? "positive" : "zero or more") : (MinimumIsExclusive ? "above " : "at least ") + Format(low);
            if (Maximum is { } high) return (MaximumIsExclusive ? "below " : "at most ") + Format(high);
            return "any value";
        }
    }

    /// <summary>
    /// The error for <paramref name="value"/>, or null when it is allowed. The text names the setting by its
    /// key and builder method, so a compile-time diagnostic and a run-time error read the same.
    /// </summary>
    public string? Error(double value)
    {
        if (Minimum is null && Maximum is null) return null;
        var tooLow = Minimum is { } min && (MinimumIsExclusive ? !(value > min) : !(value >= min));
        var tooHigh = Maximum is { } max && (MaximumIsExclusive ? !(value < max) : !(value <= max));
        if (!(tooLow || tooHigh || double.IsNaN(value))) return null;
        return ErrorFormat is not null
            ? string.Format(CultureInfo.InvariantCulture, ErrorFormat, Format(value))
            : string.Format(CultureInfo.InvariantCulture, DslMessages.SettingOutOfRange, Key, Builder, Method, RangeText, Format(value));
    }

    /// <summary>A warning for a legal but unusual <paramref name="value"/>, or null.</summary>
    public string? Warning(double value)
    {
        if (Error(value) is not null) return null;
        if (WarningAtMinimum is not null && Minimum is { } min && value == min)
            return string.Format(CultureInfo.InvariantCulture, DslMessages.SettingAtMinimum, Key, Format(value), WarningAtMinimum);
        if (UsualMinimum is { } low && UsualMaximum is { } high && (value < low || value > high))
            return string.Format(CultureInfo.InvariantCulture, DslMessages.SettingUnusual, Key, Format(value), Format(low), Format(high));
        return null;
    }

    public static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
