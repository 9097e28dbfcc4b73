namespace LoraDsl.Training;

/// <summary>Renders train loss per step and eval loss per evaluation to a PNG (ScottPlot, headless).</summary>
internal static class TrainingCurvePlot
{
    public static void Save(string path, IReadOnlyList<StepMetrics> steps, IReadOnlyList<EvaluationMetrics> evaluations, int width = 800, int height = 450)
    {
        var plot = new ScottPlot.Plot();
        var train = steps.Where(s => double.IsFinite(s.Loss)).ToList();
        if (train.Count > 0)
        {
            var line = plot.Add.Scatter(train.Select(s => (double)s.Step).ToArray(), train.Select(s => s.Loss).ToArray());
            line.LegendText = "train loss";
            line.MarkerSize = train.Count > 50 ? 0 : 4;
        }
        var eval = evaluations.Where(e => double.IsFinite(e.Loss)).ToList();
        if (eval.Count > 0)
        {
            var points = plot.Add.Scatter(eval.Select(e => (double)e.Step).ToArray(), eval.Select(e => e.Loss).ToArray());
            points.LegendText = "eval loss";
            points.MarkerSize = 7;
        }
        plot.Title("Loss");
        plot.XLabel("optimizer step");
        plot.YLabel("loss");
        plot.ShowLegend();
        // ScottPlot picks the encoder from the extension, so the temp file keeps ".png".
        AtomicFile.Write(path, temp =>
        {
            var png = temp + ".png";
            try
            {
                plot.SavePng(png, width, height);
                File.Move(png, temp, overwrite: true);
            }
            finally
            {
                if (File.Exists(png)) File.Delete(png);
            }
        });
    }
}
