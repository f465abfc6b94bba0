namespace Platform.Migrations.DemoData;

/// <summary>Word lists for plausible titles, descriptions and names (search and trigram typo matching get real words).</summary>
public static class Vocabulary
{
    public static readonly string[] Categories =
        ["gaming", "music", "education", "technology", "entertainment", "sports", "news", "comedy", "lifestyle", "travel", "food", "fitness", "science", "art-design", "business"];

    /// <summary>Topics per category, in category id order (1..15).</summary>
    public static readonly string[][] Topics =
    [
        ["Minecraft", "Elden Ring", "Zelda", "Speedrun", "Fortnite", "Chess", "Retro Console", "Indie Game", "Esports Final", "Pokemon"],
        ["Guitar", "Piano", "Synthesizer", "Jazz Standard", "Drum Groove", "Vocal Warmup", "Mixing", "Orchestra", "Lo-fi Beat", "Songwriting"],
        ["Calculus", "World History", "Spanish Grammar", "Photosynthesis", "Algebra", "Essay Writing", "Geography", "Philosophy", "Statistics", "Latin"],
        ["Rust", "Kubernetes", "Smartphone", "Mechanical Keyboard", "Linux", "PostgreSQL", "Laptop", "Home Server", "Raspberry Pi", "Compiler"],
        ["Movie Trailer", "Sitcom", "Celebrity Interview", "Award Show", "Reality Show", "Vlog", "Podcast", "Anime", "Magic Trick", "Talk Show"],
        ["Football", "Basketball", "Tennis", "Marathon", "Cycling", "Climbing", "Skateboarding", "Boxing", "Swimming", "Formula One"],
        ["Election", "Economy", "Climate Summit", "Press Conference", "Local News", "Space Launch", "Trade Deal", "Weather Report", "Court Ruling", "Budget"],
        ["Stand-up", "Sketch", "Parody", "Prank", "Improv", "Roast", "Satire", "Blooper", "Impression", "Sitcom Rewrite"],
        ["Morning Routine", "Minimalism", "Skincare", "Home Tour", "Fashion Haul", "Productivity", "Budgeting", "Houseplants", "Journaling", "Decluttering"],
        ["Tokyo", "Iceland", "Road Trip", "Backpacking", "Lisbon", "Night Train", "Camping", "Patagonia", "Street Market", "Island Hopping"],
        ["Carbonara", "Sourdough", "Ramen", "Tacos", "Curry", "Pizza Dough", "Dumplings", "Croissant", "Barbecue", "Vegan Burger"],
        ["Kettlebell", "Yoga Flow", "Push-up", "Running Form", "Mobility", "Deadlift", "HIIT", "Stretching", "Pilates", "Meal Prep"],
        ["Black Hole", "Quantum Physics", "Volcano", "Genetics", "Mars Rover", "Octopus", "Telescope", "Climate Model", "Neuroscience", "Fossil"],
        ["Watercolor", "Logo Design", "Pottery", "Calligraphy", "Photography", "Digital Painting", "Typography", "Woodworking", "Origami", "Sketchbook"],
        ["Startup", "Investing", "Marketing Funnel", "Negotiation", "Freelancing", "Pricing", "Leadership", "Job Interview", "Side Hustle", "Accounting"],
    ];

    public static readonly string[] Formats =
        ["Tutorial", "Review", "Guide", "Walkthrough", "Live Session", "Deep Dive", "Challenge", "Highlights", "Explained", "Beginner Tips", "Masterclass", "Reaction"];

    public static readonly string[] Adjectives =
        ["Ultimate", "Honest", "Quick", "Complete", "Surprising", "Essential", "Hidden", "Weekly", "Definitive", "Unfiltered"];

    public static readonly string[] Sentences =
    [
        "We start with the basics and build up step by step.",
        "Timestamps are in the description below.",
        "Thanks to everyone who suggested this topic in the comments.",
        "This one took three weeks to film and edit.",
        "Let me know what you would like to see next.",
        "All the links and resources are listed at the end.",
        "We compare the popular options and pick a favourite.",
        "Expect a few mistakes along the way, that is how we learn.",
    ];

    public static readonly string[] FirstNames =
        ["Ada", "Ben", "Chloe", "Dev", "Elena", "Finn", "Grace", "Hugo", "Iris", "Jonas", "Kira", "Leo", "Mina", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara"];

    public static readonly string[] Crafts =
        ["Plays", "Cooks", "Builds", "Codes", "Travels", "Paints", "Lifts", "Explains", "Sings", "Laughs", "Films", "Reviews"];
}
