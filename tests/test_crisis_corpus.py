"""Crisis and safeguarding wording in reflections reaches the facilitator, however it is typed.

The corpus below is written for this test: sentences a participant might type that must be
flagged to the facilitator privately (recall must be 100 %), and everyday workshop reflections
that should not be. A false flag costs a private check-in, so false flags are printed, not failed,
unless they grow past a small share of the corpus.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from peerkit.content import Safety, load_content
from peerkit.flagging import find_terms, normalise

DATA = Path(__file__).resolve().parent.parent / "data"

MUST_FLAG = (
    # the phrasings named when the list was last reviewed, and their variants
    "Some days I don't want to be here any more.",
    "some days i dont want to be here anymore",
    "I don’t want to be here anymore and I’m tired",
    "I keep thinking about ending it all.",
    "Ended it all in my head a hundred times this week",
    "I've thought about ending my life.",
    "I tried to end my own life last spring",
    "honestly i just wanna die",
    "I wanna be dead",
    "not wanting to live is how most of my mornings start",
    "I'm not wanting to live like this",
    "I'm cutting again and nobody knows",
    "I cut again last night",
    "started cutting again after the last session",
    "I overdosed in the summer and I think about it every day",
    "Overdosing felt like the only way out",
    "kms",
    "lol kms if i have to do another role play",
    "I want to KMS",
    # suicide and wanting to die
    "I have been feeling suicidal.",
    "Suicidal thoughts are back.",
    "I've been thinking about suicide a lot lately",
    "Sometimes I want to kill myself.",
    "I could kill myself for forgetting, but also I kind of mean it",
    "killing myself seems easier",
    "I want to die.",
    "i want 2 die tbh... I WANT TO DIE",
    "Wanted to die all weekend.",
    "I wish I was dead.",
    "I wish I were dead",
    "I wish I wasn't here",
    "I wish i wasnt alive",
    "Everyone would be better off without me.",
    "They'd all be better off if I was dead, they're better off dead without me",
    "My family would be better without me",
    "There's no reason to live.",
    "I have nothing to live for.",
    "There is nothing left to live for",
    "I can't go on like this.",
    "I cannot go on",
    "I can not go on any longer",
    "I cant keep going",
    "I can't do this any more.",
    "I don't want to be alive.",
    "I do not want to live.",
    "I don't want to exist",
    "I don't want to wake up tomorrow.",
    "I see no way out.",
    "I've been thinking of ending things.",
    "Thought about ending everything on Sunday",
    "I'm tired of living.",
    "Sick of life, honestly.",
    "Life isn't worth living.",
    "No point in living",
    "I want to take my own life.",
    "Taking my life has been on my mind",
    "I'm going to unalive myself",
    "I've given up on life",
    "I said goodbye to everyone last night.",
    # self-harm
    "I've been self-harming again.",
    "My self harm is getting worse",
    "selfharm is how I cope",
    "I self harmed last week",
    "I hurt myself on purpose yesterday.",
    "I keep hurting myself",
    "I harm myself when it gets too much",
    "I burned myself again",
    "I cut myself",
    "I took too many pills on Friday",
    # safeguarding: someone else, or being unsafe
    "Someone is hurting me at home.",
    "someone keeps hurting me",
    "He hits me when he's been drinking.",
    "My partner hurt me again",
    "She's been beating me",
    "He threatened to kill me.",
    "I'm scared to go home tonight.",
    "I'm afraid of going home",
    "I'm frightened of my partner",
    "I am terrified of my stepdad",
    "I don't feel safe at home.",
    "I dont feel safe",
    "It's not safe at home for me",
    "I'm unsafe at home",
    # Unicode, spacing and typing variants
    "I WANT TO DIE",
    "I\u00a0want\u00a0to\u00a0die",
    "sui\u200bcide has crossed my mind",
    "Ｉ ｗａｎｔ ｔｏ ｄｉｅ",
    "I    can't\n go on",
    "self‐harm (with a Unicode hyphen) again",
    "don`t want to be here anymore",
)

MUST_NOT_FLAG = (
    "The housing call scenario made me think about how often I jump in.",
    "I'm going to try asking 'what has worked for you before?' next week.",
    "I realised I give advice before I've finished listening.",
    "Stepping back is harder than it sounds.",
    "Loved the small-groups part; it felt safe to disagree.",
    "The slider made me see I'm more controlling than I thought.",
    "I want to stop fixing and start asking.",
    "The role play with the benefits appeal was really useful.",
    "I'd like more time on boundaries and late-night texts.",
    "I was surprised how differently our table voted.",
    "I'll bring the empowerment questions to supervision.",
    "It hurt to recognise myself in the rescuer option.",
    "I'm tired after a long day but glad I came.",
    "Cutting the session short would have been a shame.",
    "We kept cutting each other off in the role play, which was funny.",
    "The team cut my hours last year, so I know that feeling.",
    "I will end my sessions by asking how the support felt.",
    "At the end of it all, the person decides.",
    "I want to live my values at work, not just talk about them.",
    "Let people make their own choices, even when I'd choose differently.",
    "Dignity of risk is a new idea to me and I like it.",
    "The harm reduction scenario made me rethink what success looks like.",
    "I didn't know asking directly about suicide doesn't plant the idea.",
    "I'd never thought about what happened to someone instead of what's wrong.",
    "No more writing people's statements for them!",
    "I can't wait to try this with my group.",
    "I can't believe how much I talk in sessions.",
    "I wanna practise open questions more.",
    "Going home to think about my own need to be needed.",
    "I'm scared to get it wrong, but I'll try.",
    "I'm afraid I take over when people are upset.",
    "The mutuality exercise was the best part for me.",
    "Sharing my story as a bridge, not a map: that's my takeaway.",
    "I want to keep learning from the people I support.",
    "Next time I'll ask before offering to ring anyone.",
    "The prison scenario reminded me of my own time inside.",
    "The online peer group scenario felt very real.",
    "I work in a rural area and the distances matter.",
    "I'd like the faith group scenario in our own training.",
    "Hope is the thing I want to bring more of.",
    "I liked that there wasn't one right answer in the dilemma.",
    "My own recovery comes first, and that's OK.",
    "I found the self-care module helpful for my supervision plan.",
    "The vicarious trauma part was a lot, but important.",
    "I hadn't heard of the empowerment dynamic before.",
    "I'm going to stop saying 'you should'.",
    "The boundaries scenario about gifts was tricky.",
    "Honestly this day went by fast.",
    "I want to die laughing at how many times I said 'just'.",
    "It killed me to stay quiet in the role play.",
    "We talked about an overdose prevention site visit.",
    "I'll remember to check in with my co-facilitator.",
    "Feeling more confident about asking what someone wants.",
    "I'm taking home the idea of asking for feedback on my support.",
    "Not deciding for people is my goal for next month.",
    "I noticed I feel flat when someone doesn't need me.",
    "The late-night texts scenario hit home.",
    "I was moved by the story about the sister argument.",
    "I've got no way to take notes, could you email the slides?",
    "I don't want to be the expert on a pedestal any more.",
    "Thanks for a safe space to reflect.",
    "I'm ending today with more questions than answers, in a good way.",
    "My goal: ask, don't assume.",
    "It's not my job to make people's choices for them.",
    "The crisis module was handled with care.",
    "Home visits will feel different after today.",
)


def test_the_corpus_is_large_enough() -> None:
    assert len(MUST_FLAG) >= 60
    assert len(MUST_NOT_FLAG) >= 60


def test_every_crisis_sentence_is_flagged_and_false_flags_are_reported() -> None:
    safety = load_content(DATA).safety
    missed = [s for s in MUST_FLAG if not safety.flags(s)]
    false_flags = [(s, safety.flags(s)) for s in MUST_NOT_FLAG if safety.flags(s)]
    recall = 1 - len(missed) / len(MUST_FLAG)
    print(
        f"\ncrisis corpus: recall {recall:.0%} ({len(MUST_FLAG) - len(missed)}/{len(MUST_FLAG)}); "
        f"false flags {len(false_flags)}/{len(MUST_NOT_FLAG)}"
    )
    for sentence, terms in false_flags:
        print(f"  false flag: {sentence!r} <- {terms}")
    assert missed == []
    # A false flag only prompts a private check-in, but a list that flags everyday talk is one
    # the facilitator learns to ignore.
    assert len(false_flags) <= len(MUST_NOT_FLAG) // 10


def test_phrase_marks_alternatives_and_optional_words() -> None:
    terms = ("someone/he [is/keeps] hurting me", "end/ending my [own] life")
    assert find_terms("he keeps hurting me", terms) == [terms[0]]
    assert find_terms("someone hurting me", terms) == [terms[0]]
    assert find_terms("she is hurting me", terms) == []
    assert find_terms("I ended my own life in a dream", terms) == [terms[1]]
    assert find_terms("at the end of my life story", terms) == []


def test_normalise_reads_texting_and_spelling_variants_alike() -> None:
    assert normalise("I dont wanna") == normalise("I do not want to")
    assert normalise("any more") == normalise("anymore")
    assert normalise("I can’t") == normalise("I cannot")
    assert normalise("traumatized") == normalise("traumatised")
    assert normalise("self-harming") == normalise("selfharm")
    assert normalise("ＫＭＳ") == normalise("kill myself")


@pytest.mark.parametrize("text", ["", "   ", "!!!", "\u200b"])
def test_empty_and_punctuation_only_text_never_flags(text: str) -> None:
    assert Safety(flag_terms=("suicide",)).flags(text) == []
