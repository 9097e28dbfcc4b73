namespace LoraDsl.Lora;

/// <summary>PEFT's <c>bias</c> option.</summary>
public enum LoraBias
{
    /// <summary>"none": no bias trains.</summary>
    None,

    /// <summary>"all": every bias in the model trains.</summary>
    All,

    /// <summary>"lora_only": the biases of adapted modules train.</summary>
    LoraOnly,
}
