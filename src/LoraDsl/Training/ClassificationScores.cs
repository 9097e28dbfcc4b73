namespace LoraDsl.Training;

/// <summary>Accuracy and per-class precision/recall/F1 from predicted and true class indices.</summary>
internal static class ClassificationScores
{
    public static (double Accuracy, IReadOnlyList<ClassMetrics> Classes) Compute(
        IReadOnlyList<int> predicted, IReadOnlyList<int> actual, IReadOnlyList<string> labels)
    {
        if (predicted.Count != actual.Count)
            throw new ArgumentException($"{predicted.Count} predictions for {actual.Count} examples.");
        var classes = Math.Max(labels.Count, Math.Max(predicted.DefaultIfEmpty(-1).Max(), actual.DefaultIfEmpty(-1).Max()) + 1);
        var truePositive = new int[classes];
        var predictedCount = new int[classes];
        var actualCount = new int[classes];
        var correct = 0;
        for (var i = 0; i < actual.Count; i++)
        {
            predictedCount[predicted[i]]++;
            actualCount[actual[i]]++;
            if (predicted[i] == actual[i]) { truePositive[actual[i]]++; correct++; }
        }
        var perClass = new List<ClassMetrics>(classes);
        for (var c = 0; c < classes; c++)
        {
            var precision = predictedCount[c] == 0 ? 0 : (double)truePositive[c] / predictedCount[c];
            var recall = actualCount[c] == 0 ? 0 : (double)truePositive[c] / actualCount[c];
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(c < labels.Count ? labels[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture), precision, recall, f1, actualCount[c]));
        }
        return (actual.Count == 0 ? 0 : (double)correct / actual.Count, perClass);
    }
}
