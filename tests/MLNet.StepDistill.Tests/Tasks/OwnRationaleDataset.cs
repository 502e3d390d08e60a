using System.Text.Json;

namespace MLNet.StepDistill.Tests.Tasks;

/// <summary>
/// A small NLI dataset that brings its own rationales (<c>"rationaleField": "explanation"</c>), written for these tests:
/// 30 train rows with short human-written explanations (two left without one, to show they train the label only) and
/// 6 valid rows. No teacher is recorded for it.
/// </summary>
internal static class OwnRationaleDataset
{
    public const int TrainRows = 30;

    /// <summary>Train rows whose explanation is missing (left out) or empty.</summary>
    public const int TrainRowsWithoutRationale = 2;

    public const int ValidRows = 6;

    private static readonly (string Premise, string Hypothesis, string Label, string? Explanation)[] Train =
    [
        ("A man is playing a guitar on a stage.", "A man is performing music.", "entailment", "Playing a guitar on a stage is performing music."),
        ("A man is playing a guitar on a stage.", "A man is asleep in bed.", "contradiction", "He cannot be playing on a stage and asleep in bed at once."),
        ("A man is playing a guitar on a stage.", "The man is famous.", "neutral", "Playing on a stage does not tell us whether he is famous."),
        ("Two dogs run across a snowy field.", "Animals are outside.", "entailment", "Dogs are animals and a snowy field is outside."),
        ("Two dogs run across a snowy field.", "The dogs are sleeping indoors.", "contradiction", "Running across a field is not sleeping indoors."),
        ("Two dogs run across a snowy field.", "The dogs are chasing a ball.", "neutral", "Nothing says why the dogs are running."),
        ("A woman is cutting vegetables in a kitchen.", "Someone is preparing food.", "entailment", "Cutting vegetables is preparing food."),
        ("A woman is cutting vegetables in a kitchen.", "The woman is swimming.", "contradiction", "She is in a kitchen cutting vegetables, not swimming."),
        ("A woman is cutting vegetables in a kitchen.", "She is making soup.", "neutral", "The vegetables could be for many dishes, not only soup."),
        ("A child is reading a book under a tree.", "A kid is reading.", "entailment", "A child is a kid, and the child is reading."),
        ("A child is reading a book under a tree.", "The child is watching television.", "contradiction", "Reading a book under a tree is not watching television."),
        ("A child is reading a book under a tree.", "The book is about dragons.", "neutral", "The premise does not say what the book is about."),
        ("People are waiting at a bus stop in the rain.", "People are outdoors.", "entailment", "A bus stop in the rain is outdoors."),
        ("People are waiting at a bus stop in the rain.", "The sun is shining on a dry street.", "contradiction", "It is raining, so the street is not dry and sunny."),
        ("People are waiting at a bus stop in the rain.", "The bus is late.", "neutral", "Waiting does not mean the bus is late."),
        ("A cyclist rides up a steep mountain road.", "A person is on a bike.", "entailment", "A cyclist riding is a person on a bike."),
        ("A cyclist rides up a steep mountain road.", "The cyclist is sitting on a sofa.", "contradiction", "Riding up a road is not sitting on a sofa."),
        ("A cyclist rides up a steep mountain road.", "The cyclist is training for a race.", "neutral", "We are not told why the cyclist rides."),
        ("An old man feeds pigeons in a park.", "A man is in a park.", "entailment", "The old man feeding pigeons is in a park."),
        ("An old man feeds pigeons in a park.", "The man is driving a truck.", "contradiction", "He is feeding pigeons in a park, not driving."),
        ("An old man feeds pigeons in a park.", "The man comes to the park every day.", "neutral", "One visit says nothing about every day."),
        ("A girl is painting a picture of the sea.", "A girl is making art.", "entailment", "Painting a picture is making art."),
        ("A girl is painting a picture of the sea.", "The girl is asleep.", "contradiction", "Someone painting is awake."),
        ("A girl is painting a picture of the sea.", "The girl lives by the sea.", "neutral", null),
        ("Workers are repairing a road at night.", "People are working.", "entailment", "Repairing a road is work."),
        ("Workers are repairing a road at night.", "The workers are on holiday at the beach.", "contradiction", "They are repairing a road, not on holiday."),
        ("Workers are repairing a road at night.", "The road will open tomorrow.", "neutral", ""),
        ("A baby is laughing in its mother's arms.", "A baby is happy.", "entailment", "Laughing shows the baby is happy."),
        ("A baby is laughing in its mother's arms.", "The baby is crying loudly.", "contradiction", "A laughing baby is not crying."),
        ("A baby is laughing in its mother's arms.", "The mother is singing.", "neutral", "The premise does not say what makes the baby laugh."),
    ];

    private static readonly (string Premise, string Hypothesis, string Label, string? Explanation)[] Valid =
    [
        ("A boy kicks a ball in a yard.", "A boy is playing.", "entailment", "Kicking a ball is playing."),
        ("A boy kicks a ball in a yard.", "The boy is asleep.", "contradiction", "Someone kicking a ball is awake."),
        ("A boy kicks a ball in a yard.", "The ball is new.", "neutral", "Nothing says how old the ball is."),
        ("A chef pours sauce over pasta.", "Food is being served.", "entailment", "Pouring sauce over pasta is serving food."),
        ("A chef pours sauce over pasta.", "The chef is fixing a car.", "contradiction", "Pouring sauce is not fixing a car."),
        ("A chef pours sauce over pasta.", "The pasta is for a wedding.", "neutral", "We are not told who the pasta is for."),
    ];

    /// <summary>Writes the dataset folder under <paramref name="folder"/> and returns its path.</summary>
    public static string Write(TempFolder folder, string name = "own-rationales")
    {
        folder.Write($"{name}/dataset.json", """
            {
              "name": "own-rationales",
              "description": "Tiny NLI set with human-written explanations, made by the tests",
              "family": "nli",
              "idField": "id",
              "inputFields": ["premise", "hypothesis"],
              "targetField": "label",
              "rationaleField": "explanation",
              "labels": ["entailment", "neutral", "contradiction"],
              "splits": { "train": "train.jsonl", "valid": "valid.jsonl" }
            }
            """);
        folder.Write($"{name}/train.jsonl", Lines("train", Train));
        folder.Write($"{name}/valid.jsonl", Lines("valid", Valid));
        return folder.File(name);
    }

    private static string Lines(string split, (string Premise, string Hypothesis, string Label, string? Explanation)[] rows) =>
        string.Join('\n', rows.Select((r, i) =>
        {
            var row = new Dictionary<string, string> { ["id"] = $"{split}-{i:00}", ["premise"] = r.Premise, ["hypothesis"] = r.Hypothesis, ["label"] = r.Label };
            if (r.Explanation is { } explanation)
            {
                row["explanation"] = explanation; // left out when null: a row may have no rationale
            }

            return JsonSerializer.Serialize(row);
        })) + "\n";
}
