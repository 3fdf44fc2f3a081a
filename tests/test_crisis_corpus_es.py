"""Crisis and safeguarding wording in Spanish reaches the facilitator of a Spanish room.

The same policy as the English corpus (``test_crisis_corpus.py``): sentences a participant might
type that must be flagged (recall must be 100 %), and everyday workshop reflections that should
not be; a false flag costs a private check-in, so false flags are printed, not failed, unless
they grow past a small share of the corpus. Talk about the topic that uses the words themselves
("si alguien dice que quiere morir") is flagged, as in English: the list cannot tell a
reflection about the topic from one about the writer, and the facilitator can.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from peerkit.content import Safety, load_content, validate_path
from peerkit.flagging import find_terms, normalise
from peerkit.store import QuestionRecord, ResponseRecord

DATA = Path(__file__).resolve().parent.parent / "data"

MUST_FLAG = (
    # named in the issue, and their variants
    "quiero morir",
    "Quiero morir",
    "Quiero MORIR",
    "quiero morír",
    "QUIERO MORÍR!!!",
    "quiero morirme",
    "Me quiero morir.",
    "A veces me quiero morir y no se lo digo a nadie",
    "Quería morirme después de lo de mi madre",
    "Ojalá pudiera dormirme y no despertar",
    "no quiero vivir",
    "Ya no quiero vivir así.",
    "me quiero matar",
    "Me quería matar el año pasado",
    "Quiero matarme.",
    "A veces pienso en matarme",
    "Me voy a matar",
    "pensé en suicidarme",
    "He pensado en suicidarme más de una vez",
    "Me quiero suicidar",
    "Tengo pensamientos suicidas otra vez",
    "autolesión",
    "autolesion",
    "He vuelto a la autolesión",
    "Me autolesiono cuando todo se me viene encima",
    "Sigo con las autolesiones",
    "Tengo ganas de hacerme daño",
    "hacerme daño",
    "no me siento segura en casa",
    "No me siento seguro en mi casa.",
    # suicidio y ganas de morir
    "Tengo ganas de morirme",
    "Últimamente solo tengo ganas de morir",
    "Ojalá estuviera muerta",
    "Ojalá no hubiera nacido",
    "No quiero despertarme mañana",
    "No quiero seguir viviendo",
    "No quiero estar viva",
    "Ya no quiero estar aquí",
    "No quiero existir",
    "No vale la pena vivir",
    "La vida no vale la pena",
    "Estoy cansada de vivir",
    "Estoy harto de la vida",
    "No tengo motivos para seguir",
    "No tengo razones para vivir",
    "No tengo nada por lo que vivir",
    "No veo salida",
    "Todos estarían mejor sin mí",
    "Mi familia estaría mejor sin mí",
    "Serían más felices sin mí",
    "Estaría mejor muerto",
    "He pensado en quitarme la vida",
    "Quiero quitarme de en medio",
    "Quiero acabar con mi vida",
    "Pensé en terminar con todo",
    "Quiero poner fin a mi vida",
    "Pienso mucho en la muerte",
    "Pienso en morir casi todos los días",
    "Anoche me despedí de todos",
    "Ya no puedo más",
    "Ya no aguanto más",
    "No puedo seguir así",
    # autolesiones y sobredosis
    "Me hago daño cuando estoy mal",
    "Me he hecho daño a propósito",
    "Me corto a propósito",
    "He vuelto a cortarme",
    "Me he vuelto a cortar",
    "Me corto los brazos",
    "Cortarme las piernas es lo único que me calma",
    "Me quemo a propósito",
    "Me lastimo cuando me agobio",
    "Tuve una sobredosis en verano",
    "Me tomé demasiadas pastillas el viernes",
    "Me tomé todas las pastillas que tenía",
    "Me tomé un bote entero de pastillas",
    # protección: alguien le hace daño, o no está a salvo
    "Mi pareja me pega",
    "Me pegó otra vez anoche",
    "Mi padrastro me golpea cuando bebe",
    "Mi marido me maltrata",
    "Me ha amenazado con matarme",
    "Me amenaza si se lo cuento a alguien",
    "Abusó de mí cuando era pequeña",
    "Me violaron",
    "Tengo miedo de que me mate",
    "Tengo miedo de volver a casa",
    "Me da miedo ir a casa esta noche",
    "Le tengo miedo a mi marido",
    "Tengo miedo de mi padre",
    "No me siento a salvo",
    "No estoy segura en casa",
    "En casa no me siento segura",
    "No me siento segura con él",
    "Mátate",
    # English in a Spanish room
    "I want to die",
    "honestly i just wanna die",
    "Some days I don't want to be here any more.",
    # Unicode, spacing and typing variants
    "QUIERO   MORIR",
    "quiero\u00a0morir",
    "quie\u200bro morir",
    "ｑｕｉｅｒｏ ｍｏｒｉｒ",
    "auto-lesión",
    "no me siento segura en casa…",
)

MUST_NOT_FLAG = (
    # the hard case: talk about the topic that uses the words. As in English, it is flagged
    # (and counted among the false flags below), so the facilitator decides.
    "Hablamos de cómo responder si alguien dice que quiere morir.",
    "El escenario de la vivienda me hizo ver lo rápido que me lanzo a resolver.",
    "La próxima semana voy a probar a preguntar qué le ha funcionado antes.",
    "Me di cuenta de que doy consejos antes de terminar de escuchar.",
    "Dar un paso atrás cuesta más de lo que parece.",
    "Me encantó el trabajo en grupos pequeños; se podía discrepar sin miedo.",
    "El deslizador me hizo ver que soy más controladora de lo que creía.",
    "Quiero dejar de arreglar y empezar a preguntar.",
    "El juego de rol de la reclamación de la prestación fue muy útil.",
    "Me gustaría más tiempo para hablar de límites.",
    "Me sorprendió lo distinto que votó nuestra mesa.",
    "Voy a llevar las preguntas sobre empoderamiento a la supervisión.",
    "Me dolió reconocerme en la opción de rescatar.",
    "Estoy cansada después de un día largo, pero me alegro de haber venido.",
    "Cortar la sesión antes habría sido una pena.",
    "Nos cortábamos todo el rato en el juego de rol, y fue divertido.",
    "Mañana voy a cortarme el pelo, por fin.",
    "Terminaré mis sesiones preguntando cómo se ha sentido el apoyo.",
    "Al final, quien decide es la persona.",
    "Quiero vivir mis valores en el trabajo, no solo hablar de ellos.",
    "Dejar que la gente tome sus propias decisiones, aunque yo elegiría otra cosa.",
    "La dignidad del riesgo es una idea nueva para mí y me gusta.",
    "El escenario de reducción de daños me hizo replantearme qué es el éxito.",
    "No sabía que preguntar directamente no mete la idea en la cabeza de nadie.",
    "Nunca había pensado en qué le pasó a alguien en vez de qué le pasa.",
    "¡Se acabó escribir las cartas de los demás por ellos!",
    "Tengo muchas ganas de probar esto con mi grupo.",
    "No puedo creer lo mucho que hablo en las sesiones.",
    "Me voy a casa pensando en mi propia necesidad de que me necesiten.",
    "Me da miedo equivocarme, pero lo intentaré.",
    "Me temo que tomo el control cuando la gente se agobia.",
    "El ejercicio de mutualidad fue lo mejor para mí.",
    "Compartir mi historia como un puente, no como un mapa: eso me llevo.",
    "Quiero seguir aprendiendo de las personas a las que acompaño.",
    "La próxima vez preguntaré antes de ofrecerme a llamar a nadie.",
    "El escenario de la prisión me recordó mi propio tiempo dentro.",
    "El grupo de apoyo en línea me pareció muy real.",
    "Trabajo en una zona rural y las distancias importan.",
    "Me gustaría usar el escenario del grupo de fe en nuestra formación.",
    "La esperanza es lo que quiero traer más a menudo.",
    "Me gustó que no hubiera una única respuesta correcta en el dilema.",
    "Mi propia recuperación va primero, y está bien.",
    "El módulo de autocuidado me ayudó con mi plan de supervisión.",
    "Lo del trauma vicario fue intenso, pero importante.",
    "Voy a dejar de decir «deberías».",
    "El escenario de los regalos y los límites fue complicado.",
    "La verdad es que el día se me ha pasado volando.",
    "Me muero de risa con lo que dije en el juego de rol.",
    "Me mata quedarme callada en los juegos de rol.",
    "No estoy seguro de la respuesta del tercer escenario.",
    "No me siento seguro de saber hacerlo todavía, pero lo practicaré.",
    "Recordaré hablar con mi cofacilitadora antes de empezar.",
    "Me siento con más confianza para preguntar qué quiere la persona.",
    "Me llevo la idea de pedir opiniones sobre cómo acompaño.",
    "No decidir por los demás es mi objetivo para el mes que viene.",
    "Me di cuenta de que me siento vacía cuando alguien no me necesita.",
    "El escenario de los mensajes de madrugada me tocó de cerca.",
    "Me conmovió la historia de la discusión entre hermanas.",
    "No tengo con qué tomar notas, ¿podrían enviarme las diapositivas?",
    "Ya no quiero ser la experta subida a un pedestal.",
    "Gracias por un espacio seguro para reflexionar.",
    "Termino hoy con más preguntas que respuestas, y eso es bueno.",
    "Mi objetivo: preguntar, no suponer.",
    "No me toca a mí tomar las decisiones de los demás.",
    "El módulo sobre crisis se trató con mucho cuidado.",
    "Las visitas a domicilio se me harán distintas después de hoy.",
    "Todo el grupo participó, y eso me gustó.",
    "Me voy a casa con ganas de seguir aprendiendo.",
)


@pytest.fixture(scope="module")
def safety() -> Safety:
    return load_content(DATA).safety


def test_the_corpus_is_large_enough() -> None:
    assert len(MUST_FLAG) >= 60
    assert len(MUST_NOT_FLAG) >= 60


def test_every_spanish_crisis_sentence_is_flagged_in_a_spanish_room(safety: Safety) -> None:
    missed = [s for s in MUST_FLAG if not safety.flags(s, "es")]
    false_flags = [(s, safety.flags(s, "es")) for s in MUST_NOT_FLAG if safety.flags(s, "es")]
    recall = 1 - len(missed) / len(MUST_FLAG)
    print(
        f"\nSpanish crisis corpus: recall {recall:.0%} "
        f"({len(MUST_FLAG) - len(missed)}/{len(MUST_FLAG)}); "
        f"false flags {len(false_flags)}/{len(MUST_NOT_FLAG)}"
    )
    for sentence, terms in false_flags:
        print(f"  false flag: {sentence!r} <- {terms}")
    assert missed == []
    assert len(false_flags) <= len(MUST_NOT_FLAG) // 10


def test_the_issues_phrases_flag_in_a_spanish_room_and_english_ones_too(safety: Safety) -> None:
    for text in ("quiero morir", "Quiero morir", "quiero morír", "me quiero matar"):
        assert safety.flags(text, "es"), text
        assert safety.flags(text, "es-ES"), text
    assert safety.flags("I want to kill myself", "es") == ["kill/killing myself"]


def test_an_english_room_is_checked_against_english_terms_only(safety: Safety) -> None:
    assert safety.flags("quiero morir", "en") == []
    assert safety.flags("quiero morir") == []
    assert safety.flags("I want to die", "en")
    # A room in a language without its own list still gets the English terms.
    assert safety.flags("I want to die", "fr") and not safety.flags("je veux mourir", "fr")


def test_english_only_rewrites_do_not_apply_to_spanish() -> None:
    assert normalise("kms", "es") != normalise("kill myself", "es")
    assert normalise("kms", "en") == normalise("kill myself", "en")
    assert normalise("Quiero MORÍR", "es") == normalise("quiero morir", "es")


def test_spanish_me_after_a_verb_is_its_own_word() -> None:
    terms = ("quiero matarme",)
    assert find_terms("Quiero matarme", terms, "es") == list(terms)
    assert find_terms("quiero matar el tiempo", terms, "es") == []
    assert find_terms("haciéndome daño", ("hacerme daño",), "es") == ["hacerme daño"]


def test_support_resources_follow_the_room_language(safety: Safety) -> None:
    spanish = safety.resources_for("es")
    assert spanish and spanish != safety.resources
    assert all("Ejemplo" in (r.note or "") for r in spanish[:-1])
    assert (
        "Ejemplo: sustituye por los servicios de tu zona"
        in safety.for_language("es").resources_note
    )
    assert safety.resources_for("en") == safety.resources
    assert safety.resources_for("fr") == safety.resources


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


SPANISH_LIST = (
    "language: es\nflag_terms:\n  - quiero morir\nresources:\n"
    "  - name: Línea local\n    contact: Llame al 000\n"
)


def test_a_folder_with_only_a_spanish_list_still_checks_english_terms(tmp_path: Path) -> None:
    problems, content = validate_path(_folder(tmp_path, {"safety.es.yaml": SPANISH_LIST}))
    assert problems == [] and content is not None
    assert content.safety.languages == ("en", "es")
    assert content.safety.flags("I want to die", "es")
    assert content.safety.flags("Quiero morirme", "es") == ["quiero morir"]
    assert [r.name for r in content.safety.resources_for("es")] == ["Línea local"]


def test_a_safety_files_name_and_language_must_agree(tmp_path: Path) -> None:
    text = SPANISH_LIST.replace("language: es\n", "")
    problems, _ = validate_path(_folder(tmp_path, {"safety.es.yaml": text}))
    assert ["add 'language: es'" in p.message for p in problems] == [True]


def test_two_lists_in_one_language_are_refused(tmp_path: Path) -> None:
    files = {"safety.es.yaml": SPANISH_LIST, "safety.yaml": SPANISH_LIST}
    problems, _ = validate_path(_folder(tmp_path, files))
    assert problems and "two safety lists in 'es'" in problems[0].message


def test_a_list_in_a_language_peerkit_cannot_show_is_refused(tmp_path: Path) -> None:
    """A room is only ever in a language peerkit has a catalog for, so a list in any other
    would never be used: it is an error at its 'language' line."""
    text = SPANISH_LIST.replace("language: es", "language: xx")
    problems, _ = validate_path(_folder(tmp_path, {"safety.xx.yaml": text}))
    assert problems and "'language' must be one of en, es" in problems[0].message


def test_the_room_rules_check_a_reflection_in_the_rooms_language(safety: Safety) -> None:
    """``results_view`` and ``moderate`` check reflections against the terms of the room's
    language, and an English room does not get the Spanish terms."""
    from peerkit import room as rules
    from peerkit.model import TextQuestion
    from peerkit.store import SQLiteStore

    store = SQLiteStore(":memory:")

    def reflection(language: str) -> tuple[QuestionRecord, ResponseRecord]:
        created = store.create_room("Taller", language=language)
        record = store.add_question(created.room.code, TextQuestion("cierre", "¿Qué te llevas?"))
        store.set_state(record.id, "open")
        me = store.join(created.room.code)
        response = store.respond(record.id, me.token, "A veces quiero morirme")
        return store.question(record.id), response

    def flags(record: QuestionRecord) -> list[str]:
        view = rules.results_view(store, record, "facilitator", safety)
        return list(view.reflections[0].flags)

    spanish, response = reflection("es")
    assert flags(spanish) == ["quiero/quería/quiera/quisiera/querría morir"]
    english, _ = reflection("en")
    assert flags(english) == []
    with pytest.raises(rules.Flagged):
        rules.moderate(store, safety, response.id, True)
