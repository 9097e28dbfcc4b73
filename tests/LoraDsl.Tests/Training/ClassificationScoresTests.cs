using LoraDsl.Training;
using Xunit;

namespace LoraDsl.Tests.Training;

public class ClassificationScoresTests
{
    [Fact]
    public void PrecisionRecallAndF1PerClass()
    {
        var (accuracy, classes) = ClassificationScores.Compute([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ["a", "b", "c"]);
        Assert.Equal(0.6, accuracy, 12);
        Assert.Equal(0.5, classes[0].Precision, 12);
        Assert.Equal(0.5, classes[0].Recall, 12);
        Assert.Equal(1.0, classes[1].Precision, 12);
        Assert.Equal(2.0 / 3, classes[1].Recall, 12);
        Assert.Equal(0.8, classes[1].F1, 12);
        Assert.Equal(0, classes[2].F1);
        Assert.Equal(0, classes[2].Support);
        Assert.Equal("c", classes[2].Label);
    }
}
