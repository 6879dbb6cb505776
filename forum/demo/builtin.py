"""A small demo written by the project itself, for self-hosters without ``../shared``.

Everything here is original text (no third-party content, no real people). The
answers are peer-support style: gentle, non-clinical, and they follow safe-messaging
practice (no method details, "died by suicide" wording, pointers to crisis lines).
Standard library only; same dataclasses as :mod:`forum.demo.counselchat`.
"""

from __future__ import annotations

from .counselchat import DemoAnswer, DemoCategory, DemoData, DemoMember, DemoQuestion

__all__ = ["load_builtin"]

_CATEGORIES = [
    ("anxiety", "Anxiety"),
    ("depression", "Depression"),
    ("relationships", "Relationships"),
    ("family", "Family"),
    ("self-esteem", "Self-esteem"),
]

_MEMBERS = [
    ("builtin:quiet-harbor", "QuietHarbor12"),
    ("builtin:gentle-meadow", "GentleMeadow27"),
    ("builtin:steady-lantern", "SteadyLantern45"),
    ("builtin:warm-willow", "WarmWillow63"),
]

_CRISIS_NOTE = (
    "If you ever notice thoughts of not wanting to be alive, or you feel unsafe, please "
    "don't wait: contact a local crisis line or emergency services, or tell someone you "
    "trust right away. You deserve support in that moment too."
)

# (key, category, tags, views, title, body, [(member, upvotes, body), ...])
_QUESTIONS = [
    (
        "calm-before-job-interview",
        "anxiety",
        ["work"],
        184,
        "How do I stay calm before a job interview?",
        "I have an interview next week for a job I really want. Every time I think about "
        "it my heart starts pounding and I imagine myself freezing up when they ask the "
        "first question.\n\nIs there anything I can do in the days before so I don't fall "
        "apart on the day?",
        [
            (
                "builtin:steady-lantern",
                4,
                "A racing heart before something that matters is your body getting ready, "
                "not a sign that you will fail. It can help to give that energy somewhere "
                "to go.\n\n"
                "- Practise out loud. Say your answers to two or three likely questions to "
                "a friend, a pet or your phone's voice recorder. Hearing yourself say them "
                "once makes them feel familiar.\n"
                "- Plan the boring details: what you'll wear, how you'll get there, when "
                "you'll leave. Fewer open questions means less for your mind to spin on.\n"
                "- On the day, try slow breathing with a longer out-breath (in for four, "
                "out for six) for a minute or two before you go in.\n\n"
                "And if you do freeze for a moment, it's fine to say \"Let me think about "
                "that for a second.\" Interviewers hear that all the time.",
            ),
            (
                "builtin:gentle-meadow",
                2,
                "Something that helped me: I stopped trying to make the nerves go away and "
                "just told myself \"of course I'm nervous, I care about this.\" Oddly, "
                "fighting the feeling made it bigger. Good luck next week!",
            ),
        ],
    ),
    (
        "mind-races-at-night",
        "anxiety",
        ["sleep"],
        236,
        "My mind races at night and I can't fall asleep",
        "As soon as I turn off the light I start replaying conversations from the day and "
        "worrying about tomorrow. It can take me hours to fall asleep and then I'm "
        "exhausted at work. How do other people switch off?",
        [
            (
                "builtin:quiet-harbor",
                5,
                "You're far from alone in this. Night is often when the mind finally gets "
                "quiet enough to notice everything it has been carrying.\n\n"
                "A few ideas people find useful:\n\n"
                "1. Keep a notebook by the bed and write the worries down, with one small "
                "next step for each if there is one. It tells your brain the thought is "
                "\"saved\" and doesn't need rehearsing.\n"
                "2. Give yourself a wind-down hour with dimmer light and no work messages.\n"
                "3. If you've been lying awake for a long while, get up and do something "
                "calm in low light until you feel sleepy, then try again.\n\n"
                "If it keeps going for weeks, it's worth mentioning to a doctor, since poor "
                "sleep and worry can feed each other.",
            ),
            (
                "builtin:warm-willow",
                1,
                "I listen to an audiobook I've already heard before, with a sleep timer. "
                "Familiar enough that I don't need to follow it, interesting enough that "
                "my own thoughts take a back seat.",
            ),
        ],
    ),
    (
        "everything-feels-flat",
        "depression",
        [],
        312,
        "Everything feels flat lately. Is this normal?",
        "For the past couple of months nothing really feels good or bad, just grey. I "
        "still go to class and see friends, but I don't enjoy things I used to love, like "
        "drawing. I'm not sure if I'm just tired or if something is wrong.",
        [
            (
                "builtin:quiet-harbor",
                6,
                "Thank you for putting this into words, it isn't easy to describe "
                "\"grey\". When that flatness lasts for weeks and things you used to love "
                "stop feeling rewarding, it's a good reason to talk with a doctor or a "
                "counsellor. Not because something is terribly wrong with you, but because "
                "this is very treatable and you don't have to figure it out alone.\n\n"
                "In the meantime, small things can help a little: daylight and a short walk, "
                "regular meals, and doing a tiny bit of drawing even when the spark isn't "
                "there. Motivation often comes back after the action, not before.\n\n"
                + _CRISIS_NOTE,
            ),
            (
                "builtin:steady-lantern",
                3,
                "I went through a stretch like this. What surprised me was how much it "
                "helped to tell one friend honestly \"I'm not really feeling anything "
                "lately\" instead of \"I'm fine\". It didn't fix it, but I felt less "
                "alone while I got help.",
            ),
        ],
    ),
    (
        "support-a-friend-who-seems-low",
        "depression",
        ["friendship"],
        158,
        "How can I support a friend who seems really low?",
        "My best friend has been cancelling plans and barely answers messages. When we do "
        "talk she says she's \"just tired\". I don't want to be pushy, but I'm worried "
        "about her. What can I actually do?",
        [
            (
                "builtin:gentle-meadow",
                4,
                "Your worry shows how much you care. You don't need perfect words. "
                "Something simple like \"I've missed you, and I've noticed you seem "
                "really worn out lately. I'm here if you want to talk, or if you'd rather "
                "just hang out\" leaves the door open without pressure.\n\n"
                "Keep inviting her to low-effort things (a walk, a film at home), and "
                "don't take the cancellations personally. If she shares that she's "
                "struggling a lot, gently encourage her to see a doctor or counsellor, and "
                "offer to help her find one.\n\n"
                "If she ever talks about not wanting to be alive, take it seriously: ask "
                "her directly how she's doing, stay with her, and contact a crisis line or "
                "emergency services together. And look after yourself too, supporting "
                "someone is tiring.",
            ),
        ],
    ),
    (
        "same-argument-about-chores",
        "relationships",
        ["communication"],
        201,
        "We keep having the same argument about chores",
        "My partner and I have the same fight every few weeks about housework. I feel like "
        "I do most of it, he feels like I never notice what he does. It always ends with "
        "both of us upset and nothing changes.",
        [
            (
                "builtin:warm-willow",
                3,
                "When the same argument keeps coming back, it's usually not really about "
                "the dishes. It sounds like you both want to feel seen for what you "
                "contribute.\n\n"
                "It might help to talk about it at a calm time instead of in the middle of "
                "a frustrated moment. Each of you could list everything you do in a normal "
                "week, including the invisible stuff like planning meals or remembering "
                "birthdays, then decide together who owns what. Owning a task completely "
                "tends to work better than \"helping\".",
            ),
            (
                "builtin:steady-lantern",
                2,
                "We started a ten-minute check-in on Sunday evenings. Anything that bugged "
                "us that week goes there, not in the heat of the moment. It felt awkward "
                "at first, but the big blow-ups mostly stopped.",
            ),
            (
                "builtin:gentle-meadow",
                0,
                "Try starting with \"I feel...\" rather than \"You never...\". It's a small "
                "change, but it makes it much easier for the other person to listen "
                "instead of defending themselves.",
            ),
        ],
    ),
    (
        "making-friends-after-moving",
        "relationships",
        ["friendship", "loneliness"],
        267,
        "How do I make friends after moving to a new city?",
        "I moved for work six months ago. My colleagues are nice but I don't really know "
        "anyone outside the office, and weekends feel very long and quiet. I'm in my late "
        "twenties and it feels so much harder than at school.",
        [
            (
                "builtin:gentle-meadow",
                5,
                "It really is harder as an adult, mostly because school gave us repeated "
                "time with the same people for free. The trick is to recreate that: pick "
                "one or two things that meet every week (a class, a running group, a "
                "volunteering shift, a choir) and keep going even when the first few "
                "times feel awkward. Friendships usually grow from seeing the same faces "
                "again and again.\n\n"
                "When you click with someone, be the one who suggests a coffee. Most "
                "people are waiting for someone else to ask.",
            ),
            (
                "builtin:quiet-harbor",
                1,
                "Be gentle with yourself about the quiet weekends, too. Six months isn't "
                "long, and feeling lonely after a move is a completely normal stage, not "
                "a sign that something is wrong with you.",
            ),
        ],
    ),
    (
        "parents-disagree-about-career",
        "family",
        ["work"],
        143,
        "My parents and I disagree about my career choice",
        "I want to train as a nurse, but my parents expected me to join the family "
        "business. Every family dinner turns into a debate and I leave feeling guilty. I "
        "love them and don't want to hurt them.",
        [
            (
                "builtin:steady-lantern",
                3,
                "It's painful when the people you love hope for something different than "
                "you do. Feeling guilty doesn't mean you're doing something wrong, it "
                "often just means you care about the relationship.\n\n"
                "It might help to have one calm conversation outside of dinner, where you "
                "explain why nursing matters to you and also acknowledge what the business "
                "means to them. You can respect their hopes and still make your own "
                "choice. Sometimes parents need time, and seeing you happy and committed "
                "speaks louder than any argument.",
            ),
        ],
    ),
    (
        "boundaries-with-critical-relative",
        "family",
        ["boundaries"],
        176,
        "How do I set boundaries with a relative who criticises me?",
        "My aunt comments on my weight, my job and my clothes every time we meet. My mum "
        "says \"that's just how she is\". I dread family gatherings. How do I stand up "
        "for myself without causing a scene?",
        [
            (
                "builtin:warm-willow",
                4,
                "A boundary doesn't have to be dramatic. A short, calm sentence repeated "
                "as often as needed works well: \"I'd rather not talk about my body. How "
                "is your garden doing?\" Then change the subject, or step away to help in "
                "the kitchen.\n\n"
                "You can't control what she says, but you can decide how long you stay, "
                "who you sit next to, and whether you respond. It can also help to have an "
                "ally at the gathering who knows to rescue you.",
            ),
            (
                "builtin:quiet-harbor",
                2,
                "It might also be worth telling your mum how much these comments affect "
                "you, in a quiet moment. \"That's just how she is\" may change to "
                "\"I'll sit with you\" once she understands it's not a small thing for "
                "you.",
            ),
        ],
    ),
    (
        "comparing-myself-online",
        "self-esteem",
        ["social-media"],
        289,
        "I compare myself to everyone online",
        "Whenever I scroll through social media I feel like everyone else is more "
        "successful, better looking and happier than me. I know it's not the full picture "
        "but I still feel terrible afterwards.",
        [
            (
                "builtin:gentle-meadow",
                6,
                "You're comparing your everyday, behind-the-scenes life with other "
                "people's highlight reels. Knowing that doesn't switch the feeling off, "
                "so it can help to change what you see:\n\n"
                "- Mute or unfollow accounts that reliably leave you feeling worse.\n"
                "- Notice when you usually scroll (bored, tired, late at night) and try "
                "swapping one of those times for something else.\n"
                "- After scrolling, ask yourself \"how do I feel?\" That small check makes "
                "it easier to choose differently next time.\n\n"
                "You are allowed to be a work in progress. Everyone is, including the "
                "people in those photos.",
            ),
            (
                "builtin:steady-lantern",
                2,
                "I deleted the apps from my phone for a month and only used them on my "
                "laptop. Having to sit down to check made me do it far less, and my mood "
                "noticeably lifted.",
            ),
        ],
    ),
    (
        "stop-apologising-for-everything",
        "self-esteem",
        ["boundaries", "communication"],
        132,
        "How can I stop apologising for everything?",
        "I say sorry dozens of times a day, even when someone bumps into me. A friend "
        "pointed it out and now I notice it constantly. Why do I do this and how can I "
        "stop?",
        [
            (
                "builtin:quiet-harbor",
                3,
                "Over-apologising is often a habit learned when keeping the peace felt "
                "important. It isn't a flaw, it's a way you once protected yourself, and "
                "habits can be relearned.\n\n"
                "One easy swap is turning \"sorry\" into \"thank you\": instead of "
                "\"Sorry I'm late\", try \"Thank you for waiting.\" Instead of \"Sorry to "
                "bother you\", try \"Do you have a minute?\" You keep the politeness "
                "without putting yourself down.",
            ),
            (
                "builtin:warm-willow",
                1,
                "Noticing it is already the first step, so be kind to yourself about how "
                "often you catch it. The noticing usually comes before the change.",
            ),
        ],
    ),
]


def load_builtin() -> DemoData:
    """Return the project's own small demo (5 categories, 4 members, 10 questions)."""
    categories = [DemoCategory(slug=s, title=t) for s, t in _CATEGORIES]
    members = [DemoMember(key=k, username=u) for k, u in _MEMBERS]
    questions = []
    for key, category, tags, views, title, body, answers in _QUESTIONS:
        demo_answers = [
            DemoAnswer(key=f"{key}#{i + 1}", member_key=member, body=text, upvotes=votes)
            for i, (member, votes, text) in enumerate(answers)
        ]
        demo_answers.sort(key=lambda a: -a.upvotes)  # same order rule as CounselChat
        questions.append(
            DemoQuestion(
                key=key,
                title=title,
                body=body,
                category=category,
                tags=list(tags),
                answers=demo_answers,
                views=views,
            )
        )
    return DemoData(categories=categories, members=members, questions=questions)
