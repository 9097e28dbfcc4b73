namespace LoraDsl.Training;

/// <summary>Precision, recall and F1 of one class; zero where undefined (no predictions or no examples).</summary>
public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);
