"""What the customer reads, in each language Baton writes: en es de fr pt it nl.

Register: English and Dutch use a friendly "you"/"je"; Spanish "tú", Portuguese "você" (Brazilian
usage, understood everywhere), Italian "tu"; German "Sie" and French "vous", as support desks in those
languages usually write. A policy can replace any template per language (docs/policy.md).

Every language has every template, and inserts only the placeholders of `PLACEHOLDERS`
(tests/core/test_customer_messages.py checks both).
"""

from __future__ import annotations

from bot.customer_messages.phrasebook import Phrasebook
from bot.customer_messages.phrasebook import Template as T

EN = Phrasebook(
    code="en",
    name="English",
    templates={
        T.TRANSITION: "{reason} I'm bringing in a person from {team} to help with this. They have this whole"
        " conversation, so you won't need to repeat yourself. Expected wait: {wait}.",
        T.TRANSITION_PAGED: "{reason} I'm bringing in a person from {team} to help with this. They have this"
        " whole conversation, so you won't need to repeat yourself. Expected wait: {wait} (our on-call"
        " person has been paged).",
        T.AFTER_HOURS: "{reason} I've passed this to {team} with the full conversation, so you won't need to"
        " repeat yourself. They're offline right now; the team is back {opening}, and your request is"
        " first in line.",
        T.STILL_ON_IT: "Thanks for your patience: your request is still with our team and someone should be"
        " with you in {wait}.",
        T.CLAIMED: "{agent} from {team} has joined and is reading the conversation now.",
        T.RESOLVED: "Our team has marked this as resolved. If anything else comes up, just reply here, and"
        " if you'd like a person again, say so.",
        T.CSAT_QUESTION: "How did our team do with your request? Tap a score from 1 (poor) to 5 (excellent).",
        T.CSAT_THANKS: "Thank you for your feedback!",
        T.HANDED_OFF: "I've passed your conversation to {team}, who are best placed to help with this. They have everything"
        " so far, so you won't need to repeat yourself.",
        T.LINKED: "You already have an open request with {team}, so I've added this message to it: the person working"
        " on it will see it too.",
        T.SAFETY: "I'm so sorry you're going through this. I'm bringing in a person from our team right"
        " now. They have this whole conversation, so you won't need to explain anything again."
        " {emergency}",
        T.SAFETY_STILL_ON_IT: "You haven't been forgotten: a person from our team will be with you as soon"
        " as they can. {emergency}",
        T.LONGER_THAN_USUAL: "Thanks for waiting: this is taking longer than usual, and we're sorry. Your request is"
        " still with our team and hasn't been forgotten; we'll keep you posted here.",
    },
    teams={
        "billing": "our billing team",
        "cancellation": "our account team",
        "legal": "our legal team",
        "privacy": "our privacy team",
        "security": "our security team",
        "technical": "our support engineers",
        "account": "our support team",
        "general": "our support team",
        "compliance": "our compliance team",
        "safety": "our support team",
    },
    trigger_reasons={
        "human_request": "You asked to talk to a person.",
        "not_helping": "It sounds like my answers aren't helping.",
        "repeated_question": "You've had to ask this more than once.",
        "too_many_turns": "This is taking longer than it should.",
        "low_confidence": "I'm not confident my answer is right.",
        "low_confidence_streak": "I'm not confident my answers are right.",
    },
    category_reasons={
        "billing": "Billing questions like this one deserve a person's attention.",
        "cancellation": "Changes to your subscription deserve a person's attention.",
        "legal": "Matters with legal implications are handled by a person.",
        "privacy": "Requests about your personal data are handled by a person.",
        "security": "Security concerns are handled by a person, right away.",
        "technical": "This looks like it needs one of our engineers.",
        "compliance": "Compliance questions like this one are handled by a person.",
    },
    emergency="If you or someone else is in immediate danger, please contact your local emergency services.",
    under_a_minute="less than a minute",
    one_minute="about 1 minute",
    minutes="about {n} minutes",
    one_hour="about 1 hour",
    hours="about {n} hours",
    days="about {n} days",
    now="now",
    today="today {at}",
    tomorrow="tomorrow {at}",
    weekday="{weekday} {at}",
    date="{weekday} {day} {month} {at}",
    at="at {clock}",
    clock="{hh}:{mm} {tz}",
    weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    months=(
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),  # fmt: skip
)

ES = Phrasebook(
    code="es",
    name="Spanish",
    templates={
        T.TRANSITION: "{reason} Voy a pasarte con una persona de {team} para que te ayude. Tendrá toda esta"
        " conversación, así que no tendrás que repetir nada. Tiempo de espera estimado: {wait}.",
        T.TRANSITION_PAGED: "{reason} Voy a pasarte con una persona de {team}. Ahora mismo estamos fuera de"
        " horario, así que hemos avisado a la persona de guardia. Tendrá toda esta conversación, así que no"
        " tendrás que repetir nada. Tiempo de espera estimado: {wait}.",
        T.AFTER_HOURS: "{reason} He pasado tu consulta a {team} con toda la conversación, así que no tendrás"
        " que repetir nada. Ahora mismo están fuera de horario; el equipo vuelve {opening} y tu consulta"
        " estará entre las primeras de la cola.",
        T.STILL_ON_IT: "Gracias por tu paciencia: tu consulta sigue con nuestro equipo y alguien debería"
        " atenderte en {wait}.",
        T.CLAIMED: "{agent}, del equipo {team}, se ha unido y ya está leyendo la conversación.",
        T.RESOLVED: "Hemos marcado esta consulta como resuelta. Si surge cualquier otra cosa, escribe aquí;"
        " y si quieres volver a hablar con una persona, solo tienes que decirlo.",
        T.CSAT_QUESTION: "¿Qué tal te atendió nuestro equipo? Elige una puntuación de 1 (mal) a 5 (excelente).",
        T.CSAT_THANKS: "¡Gracias por tu opinión!",
        T.HANDED_OFF: "He pasado tu conversación a {team}, que puede ayudarte mejor con esto. Tienen todo lo que nos has"
        " contado, así que no tendrás que repetir nada.",
        T.LINKED: "Ya tienes una solicitud abierta con {team}, así que he añadido este mensaje a ella: la persona que"
        " la lleva también lo verá.",
        T.SAFETY: "Siento mucho que estés pasando por esto. Ahora mismo estoy avisando a una persona de"
        " nuestro equipo; tendrá toda esta conversación, así que no tendrás que explicar nada otra vez."
        " {emergency}",
        T.SAFETY_STILL_ON_IT: "No nos hemos olvidado de ti: una persona de nuestro equipo te atenderá lo"
        " antes posible. {emergency}",
        T.LONGER_THAN_USUAL: "Gracias por esperar: esto está tardando más de lo habitual, y lo sentimos. Tu consulta"
        " sigue con nuestro equipo y no la hemos olvidado; te iremos informando aquí.",
    },
    teams={
        "billing": "nuestro equipo de facturación",
        "cancellation": "nuestro equipo de cuentas",
        "legal": "nuestro equipo legal",
        "privacy": "nuestro equipo de privacidad",
        "security": "nuestro equipo de seguridad",
        "technical": "nuestro equipo técnico",
        "account": "nuestro equipo de soporte",
        "general": "nuestro equipo de soporte",
        "compliance": "nuestro equipo de cumplimiento normativo",
        "safety": "nuestro equipo de soporte",
    },
    trigger_reasons={
        "human_request": "Has pedido hablar con una persona.",
        "not_helping": "Parece que mis respuestas no te están ayudando.",
        "repeated_question": "Has tenido que preguntar esto más de una vez.",
        "too_many_turns": "Esto está llevando más tiempo del debido.",
        "low_confidence": "No estoy seguro de que mi respuesta sea correcta.",
        "low_confidence_streak": "No estoy seguro de que mis respuestas sean correctas.",
    },
    category_reasons={
        "billing": "Las consultas de facturación como esta merecen la atención de una persona.",
        "cancellation": "Los cambios en tu suscripción merecen la atención de una persona.",
        "legal": "Los asuntos con implicaciones legales los gestiona una persona.",
        "privacy": "Las solicitudes sobre tus datos personales las gestiona una persona.",
        "security": "Los problemas de seguridad los gestiona una persona, de inmediato.",
        "technical": "Parece que esto necesita a uno de nuestros ingenieros.",
        "compliance": "Las consultas de cumplimiento normativo como esta las gestiona una persona.",
    },
    emergency="Si tú o alguien más está en peligro inmediato, contacta ahora con los servicios de emergencia"
    " de tu zona.",
    under_a_minute="menos de un minuto",
    one_minute="aproximadamente un minuto",
    minutes="unos {n} minutos",
    one_hour="aproximadamente una hora",
    hours="unas {n} horas",
    days="unos {n} días",
    now="ahora",
    today="hoy {at}",
    tomorrow="mañana {at}",
    weekday="el {weekday} {at}",
    date="el {weekday} {day} de {month} {at}",
    at="a las {clock}",
    at_one="a la {clock}",
    clock="{hh}:{mm} ({tz})",
    weekdays=("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    months=(
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),  # fmt: skip
)

DE = Phrasebook(
    code="de",
    name="German",
    templates={
        T.TRANSITION: "{reason} Ich hole eine Person aus {team} dazu, die Ihnen weiterhilft. Diese Person kennt"
        " den gesamten Gesprächsverlauf, Sie müssen also nichts wiederholen. Voraussichtliche Wartezeit: {wait}.",
        T.TRANSITION_PAGED: "{reason} Ich hole eine Person aus {team} dazu. Unser Team ist gerade nicht im"
        " Dienst, deshalb haben wir die Rufbereitschaft alarmiert. Der gesamte Gesprächsverlauf liegt vor,"
        " Sie müssen also nichts wiederholen. Voraussichtliche Wartezeit: {wait}.",
        T.AFTER_HOURS: "{reason} Ich habe Ihre Anfrage samt Gesprächsverlauf an eine Person aus {team}"
        " übergeben, Sie müssen also nichts wiederholen. Das Team ist gerade nicht erreichbar; es ist"
        " {opening} wieder da, und Ihre Anfrage gehört dann zu den ersten.",
        T.STILL_ON_IT: "Danke für Ihre Geduld: Ihre Anfrage liegt weiterhin bei unserem Team, und es meldet"
        " sich bald jemand bei Ihnen. Voraussichtliche Wartezeit: {wait}.",
        T.CLAIMED: "{agent} vom Team {team} ist jetzt dabei und liest gerade den Gesprächsverlauf.",
        T.RESOLVED: "Wir haben diese Anfrage als erledigt markiert. Wenn noch etwas ist, schreiben Sie"
        " einfach hier, und wenn Sie wieder mit einer Person sprechen möchten, sagen Sie es einfach.",
        T.CSAT_QUESTION: "Wie zufrieden waren Sie mit der Hilfe unseres Teams? Wählen Sie eine Bewertung von 1 (schlecht) bis 5 (ausgezeichnet).",
        T.CSAT_THANKS: "Vielen Dank für Ihre Rückmeldung!",
        T.HANDED_OFF: "Ich habe Ihr Anliegen {team} übergeben. Dort liegt der gesamte bisherige Verlauf vor, Sie müssen also"
        " nichts wiederholen.",
        T.LINKED: "Sie haben bereits eine offene Anfrage bei {team}. Ich habe diese Nachricht dort ergänzt, damit die"
        " zuständige Person sie ebenfalls sieht.",
        T.SAFETY: "Es tut mir sehr leid, dass Sie das gerade durchmachen. Ich hole sofort eine Person aus"
        " unserem Team dazu. Der gesamte Gesprächsverlauf liegt vor, Sie müssen also nichts noch einmal"
        " erklären. {emergency}",
        T.SAFETY_STILL_ON_IT: "Wir haben Sie nicht vergessen: Eine Person aus unserem Team meldet sich so"
        " schnell wie möglich bei Ihnen. {emergency}",
        T.LONGER_THAN_USUAL: "Danke fürs Warten: Es dauert länger als üblich, das tut uns leid. Ihre Anfrage liegt"
        " weiterhin bei unserem Team und ist nicht vergessen; wir halten Sie hier auf dem"
        " Laufenden.",
    },
    teams={  # in the dative: "eine Person aus unserem Abrechnungsteam"
        "billing": "unserem Abrechnungsteam",
        "cancellation": "unserer Kundenbetreuung",
        "legal": "unserer Rechtsabteilung",
        "privacy": "unserem Datenschutzteam",
        "security": "unserem Sicherheitsteam",
        "technical": "unserem Technikteam",
        "account": "unserem Support-Team",
        "general": "unserem Support-Team",
        "compliance": "unserem Compliance-Team",
        "safety": "unserem Support-Team",
    },
    trigger_reasons={
        "human_request": "Sie möchten mit einer Person sprechen.",
        "not_helping": "Meine Antworten scheinen Ihnen nicht weiterzuhelfen.",
        "repeated_question": "Sie mussten das mehr als einmal fragen.",
        "too_many_turns": "Das dauert länger, als es sollte.",
        "low_confidence": "Ich bin mir nicht sicher, ob meine Antwort stimmt.",
        "low_confidence_streak": "Ich bin mir nicht sicher, ob meine Antworten stimmen.",
    },
    category_reasons={
        "billing": "Um Abrechnungsfragen wie diese kümmert sich bei uns ein Mensch.",
        "cancellation": "Um Änderungen an Ihrem Abonnement kümmert sich bei uns ein Mensch.",
        "legal": "Angelegenheiten mit rechtlicher Tragweite bearbeitet bei uns ein Mensch.",
        "privacy": "Anfragen zu Ihren personenbezogenen Daten bearbeitet bei uns ein Mensch.",
        "security": "Um Sicherheitsfragen kümmert sich bei uns sofort ein Mensch.",
        "technical": "Das sieht nach einem Fall für unsere Technik aus.",
        "compliance": "Um Compliance-Fragen wie diese kümmert sich bei uns ein Mensch.",
    },
    emergency="Wenn Sie oder eine andere Person in unmittelbarer Gefahr sind, wenden Sie sich bitte sofort"
    " an den örtlichen Notruf.",
    under_a_minute="weniger als eine Minute",
    one_minute="etwa eine Minute",
    minutes="etwa {n} Minuten",
    one_hour="etwa eine Stunde",
    hours="etwa {n} Stunden",
    days="etwa {n} Tage",
    now="jetzt",
    today="heute {at}",
    tomorrow="morgen {at}",
    weekday="am {weekday} {at}",
    date="am {weekday}, {day}. {month}, {at}",
    at="um {clock}",
    clock="{hh}:{mm} Uhr ({tz})",
    weekdays=("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    months=(
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),  # fmt: skip
)

FR = Phrasebook(
    code="fr",
    name="French",
    templates={
        T.TRANSITION: "{reason} Je fais appel à une personne de {team} pour vous aider. Elle aura tout"
        " l'historique de cette conversation, vous n'aurez donc rien à répéter. Temps d'attente estimé\u00a0:"
        " {wait}.",
        T.TRANSITION_PAGED: "{reason} Je fais appel à une personne de {team}. Notre équipe est absente en ce"
        " moment, nous avons donc prévenu la personne d'astreinte. Elle aura tout l'historique de cette"
        " conversation, vous n'aurez donc rien à répéter. Temps d'attente estimé\u00a0: {wait}.",
        T.AFTER_HOURS: "{reason} J'ai transmis votre demande à {team} avec tout l'historique de la"
        " conversation, vous n'aurez donc rien à répéter. L'équipe est absente pour le moment\u00a0; elle"
        " sera de retour {opening}, et votre demande fera partie des premières traitées.",
        T.STILL_ON_IT: "Merci de votre patience\u00a0: votre demande est toujours entre les mains de notre"
        " équipe, et quelqu'un devrait vous répondre dans {wait}.",
        T.CLAIMED: "{agent}, de l'équipe {team}, vient de rejoindre la conversation et en prend connaissance.",
        T.RESOLVED: "Nous avons marqué cette demande comme résolue. Si vous avez besoin d'autre chose,"
        " écrivez-nous ici\u00a0; et si vous souhaitez de nouveau parler à une personne, dites-le simplement.",
        T.CSAT_QUESTION: "Comment notre équipe a-t-elle traité votre demande ? Choisissez une note de 1 (mauvais) à 5 (excellent).",
        T.CSAT_THANKS: "Merci pour votre avis !",
        T.HANDED_OFF: "J'ai transmis votre conversation à {team}, qui pourra mieux vous aider. Tout l'historique a été"
        " transmis, vous n'aurez donc rien à répéter.",
        T.LINKED: "Vous avez déjà une demande en cours auprès de {team} : j'y ai ajouté ce message, la personne qui"
        " s'en occupe le verra aussi.",
        T.SAFETY: "Nous sommes sincèrement désolés que vous traversiez cela. Je fais appel dès maintenant à"
        " une personne de notre équipe\u00a0; elle aura tout l'historique de la conversation, vous n'aurez"
        " donc rien à réexpliquer. {emergency}",
        T.SAFETY_STILL_ON_IT: "Nous ne vous oublions pas\u00a0: une personne de notre équipe va vous répondre"
        " dès que possible. {emergency}",
        T.LONGER_THAN_USUAL: "Merci de votre patience\u00a0: cela prend plus de temps que d'habitude, et nous en"
        " sommes désolés. Votre demande est toujours entre les mains de notre équipe et n'est pas"
        " oubliée\u00a0; nous vous tiendrons informé ici.",
    },
    teams={
        "billing": "notre équipe facturation",
        "cancellation": "notre équipe de gestion des comptes",
        "legal": "notre service juridique",
        "privacy": "notre équipe chargée des données personnelles",
        "security": "notre équipe sécurité",
        "technical": "notre équipe technique",
        "account": "notre équipe support",
        "general": "notre équipe support",
        "compliance": "notre équipe conformité",
        "safety": "notre équipe support",
    },
    trigger_reasons={
        "human_request": "Vous avez demandé à parler à une personne.",
        "not_helping": "On dirait que mes réponses ne vous aident pas.",
        "repeated_question": "Vous avez dû poser cette question plusieurs fois.",
        "too_many_turns": "Cela prend plus de temps que prévu.",
        "low_confidence": "Ma réponse n'est peut-être pas la bonne.",
        "low_confidence_streak": "Mes réponses ne sont peut-être pas les bonnes.",
    },
    category_reasons={
        "billing": "Les questions de facturation comme celle-ci méritent l'attention d'une personne.",
        "cancellation": "Les changements d'abonnement méritent l'attention d'une personne.",
        "legal": "Les questions d'ordre juridique sont traitées par une personne.",
        "privacy": "Les demandes concernant vos données personnelles sont traitées par une personne.",
        "security": "Les problèmes de sécurité sont traités par une personne, sans attendre.",
        "technical": "Cela semble nécessiter l'intervention de l'un de nos ingénieurs.",
        "compliance": "Les questions de conformité comme celle-ci sont traitées par une personne.",
    },
    emergency="Si vous-même ou une autre personne êtes en danger immédiat, contactez sans attendre les"
    " services d'urgence locaux.",
    under_a_minute="moins d'une minute",
    one_minute="environ une minute",
    minutes="environ {n} minutes",
    one_hour="environ une heure",
    hours="environ {n} heures",
    days="environ {n} jours",
    now="dès maintenant",
    today="aujourd'hui {at}",
    tomorrow="demain {at}",
    weekday="{weekday} {at}",
    date="{weekday} {day} {month} {at}",
    at="à {clock}",
    clock="{hh}h{mm} ({tz})",
    first_day="1er",
    weekdays=("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    months=(
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),  # fmt: skip
)

PT = Phrasebook(
    code="pt",
    name="Portuguese",
    templates={
        T.TRANSITION: "{reason} Vou chamar uma pessoa da {team} para ajudar você. Ela terá toda esta"
        " conversa, então você não vai precisar repetir nada. Tempo de espera estimado: {wait}.",
        T.TRANSITION_PAGED: "{reason} Vou chamar uma pessoa da {team}. Nossa equipe está fora do horário"
        " agora, então acionamos a pessoa de plantão. Ela terá toda esta conversa, então você não vai"
        " precisar repetir nada. Tempo de espera estimado: {wait}.",
        T.AFTER_HOURS: "{reason} Passei sua solicitação para a {team} com toda a conversa, então você não"
        " vai precisar repetir nada. A equipe está fora do horário agora; ela volta {opening}, e sua"
        " solicitação estará entre as primeiras da fila.",
        T.STILL_ON_IT: "Agradecemos a sua paciência: sua solicitação continua com a nossa equipe, e alguém"
        " deve atender você em {wait}.",
        T.CLAIMED: "{agent}, da equipe {team}, entrou na conversa e já está lendo tudo.",
        T.RESOLVED: "Marcamos esta solicitação como resolvida. Se precisar de mais alguma coisa, é só"
        " escrever aqui; e se quiser falar com uma pessoa de novo, é só pedir.",
        T.CSAT_QUESTION: "Como foi o atendimento da nossa equipe? Escolha uma nota de 1 (ruim) a 5 (excelente).",
        T.CSAT_THANKS: "Obrigado pela sua avaliação!",
        T.HANDED_OFF: "Passei sua conversa para a {team}, que pode ajudar melhor com isso. Todo o histórico foi junto, então"
        " você não vai precisar repetir nada.",
        T.LINKED: "Você já tem uma solicitação aberta com a {team}, então adicionei esta mensagem a ela: quem está"
        " cuidando dela também vai ver.",
        T.SAFETY: "Sinto muito que você esteja passando por isso. Estou chamando agora mesmo uma pessoa da"
        " nossa equipe; ela terá toda esta conversa, então você não vai precisar explicar nada de novo."
        " {emergency}",
        T.SAFETY_STILL_ON_IT: "Não esquecemos de você: uma pessoa da nossa equipe vai atender você o mais"
        " rápido possível. {emergency}",
        T.LONGER_THAN_USUAL: "Obrigado por aguardar: está demorando mais do que o normal, e pedimos desculpas. Sua"
        " solicitação continua com a nossa equipe e não foi esquecida; vamos manter você"
        " informado por aqui.",
    },
    teams={  # after "da" / "para a": "uma pessoa da nossa equipe de cobrança"
        "billing": "nossa equipe de cobrança",
        "cancellation": "nossa equipe de contas",
        "legal": "nossa equipe jurídica",
        "privacy": "nossa equipe de privacidade",
        "security": "nossa equipe de segurança",
        "technical": "nossa equipe técnica",
        "account": "nossa equipe de suporte",
        "general": "nossa equipe de suporte",
        "compliance": "nossa equipe de compliance",
        "safety": "nossa equipe de suporte",
    },
    trigger_reasons={
        "human_request": "Você pediu para falar com uma pessoa.",
        "not_helping": "Parece que minhas respostas não estão ajudando.",
        "repeated_question": "Você precisou perguntar isso mais de uma vez.",
        "too_many_turns": "Isso está demorando mais do que deveria.",
        "low_confidence": "Não tenho certeza de que minha resposta esteja correta.",
        "low_confidence_streak": "Não tenho certeza de que minhas respostas estejam corretas.",
    },
    category_reasons={
        "billing": "Questões de cobrança como esta merecem a atenção de uma pessoa.",
        "cancellation": "Mudanças na sua assinatura merecem a atenção de uma pessoa.",
        "legal": "Assuntos com implicações jurídicas são tratados por uma pessoa.",
        "privacy": "Pedidos sobre os seus dados pessoais são tratados por uma pessoa.",
        "security": "Questões de segurança são tratadas por uma pessoa, imediatamente.",
        "technical": "Parece que isso precisa de um dos nossos engenheiros.",
        "compliance": "Questões de compliance como esta são tratadas por uma pessoa.",
    },
    emergency="Se você ou outra pessoa estiver em perigo imediato, entre em contato agora com os serviços de"
    " emergência da sua região.",
    under_a_minute="menos de um minuto",
    one_minute="cerca de um minuto",
    minutes="cerca de {n} minutos",
    one_hour="cerca de uma hora",
    hours="cerca de {n} horas",
    days="cerca de {n} dias",
    now="agora",
    today="hoje {at}",
    tomorrow="amanhã {at}",
    weekday="{weekday} {at}",
    date="{weekday}, {day} de {month}, {at}",
    at="às {clock}",
    at_one="à {clock}",
    clock="{hh}:{mm} ({tz})",
    weekdays=(
        "na segunda-feira",
        "na terça-feira",
        "na quarta-feira",
        "na quinta-feira",
        "na sexta-feira",
        "no sábado",
        "no domingo",
    ),  # fmt: skip
    months=(
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ),  # fmt: skip
)

IT = Phrasebook(
    code="it",
    name="Italian",
    templates={
        T.TRANSITION: "{reason} Sto coinvolgendo una persona del nostro {team} che ti aiuterà. Avrà a"
        " disposizione tutta questa conversazione, quindi non dovrai ripetere nulla. Attesa stimata: {wait}.",
        T.TRANSITION_PAGED: "{reason} Sto coinvolgendo una persona del nostro {team}. In questo momento"
        " siamo fuori orario, quindi abbiamo avvisato la persona reperibile. Avrà a disposizione tutta"
        " questa conversazione, quindi non dovrai ripetere nulla. Attesa stimata: {wait}.",
        T.AFTER_HOURS: "{reason} Ho passato la tua richiesta al nostro {team} insieme a tutta la"
        " conversazione, quindi non dovrai ripetere nulla. Al momento il team non è disponibile; tornerà"
        " {opening} e la tua richiesta sarà tra le prime della coda.",
        T.STILL_ON_IT: "Grazie per la pazienza: la tua richiesta è ancora nelle mani del nostro team e"
        " qualcuno dovrebbe risponderti tra {wait}.",
        T.CLAIMED: "{agent} del team {team} ora è qui e sta leggendo la conversazione.",
        T.RESOLVED: "Abbiamo segnato questa richiesta come risolta. Se ti serve altro, scrivi pure qui; e se"
        " vuoi di nuovo parlare con una persona, basta dirlo.",
        T.CSAT_QUESTION: "Come ti ha aiutato il nostro team? Scegli un voto da 1 (scarso) a 5 (eccellente).",
        T.CSAT_THANKS: "Grazie per il tuo parere!",
        T.HANDED_OFF: "Ho passato la tua conversazione al nostro {team}, che può aiutarti meglio. Ha già tutta la"
        " conversazione, quindi non dovrai ripetere nulla.",
        T.LINKED: "Hai già una richiesta aperta con il nostro {team}: ho aggiunto questo messaggio, così anche chi se ne"
        " sta occupando lo vedrà.",
        T.SAFETY: "Mi dispiace davvero che tu stia attraversando tutto questo. Sto coinvolgendo subito una"
        " persona del nostro team: avrà tutta questa conversazione, quindi non dovrai spiegare nulla di"
        " nuovo. {emergency}",
        T.SAFETY_STILL_ON_IT: "Non ci siamo dimenticati di te: una persona del nostro team ti risponderà il"
        " prima possibile. {emergency}",
        T.LONGER_THAN_USUAL: "Grazie per l'attesa: ci sta volendo più del solito, e ci dispiace. La tua richiesta è"
        " ancora al nostro team e non è stata dimenticata; ti terremo aggiornato qui.",
    },
    teams={  # after "del nostro" / "al nostro"
        "billing": "team di fatturazione",
        "cancellation": "team di gestione clienti",
        "legal": "team legale",
        "privacy": "team privacy",
        "security": "team sicurezza",
        "technical": "team tecnico",
        "account": "team di assistenza",
        "general": "team di assistenza",
        "compliance": "team compliance",
        "safety": "team di assistenza",
    },
    trigger_reasons={
        "human_request": "Hai chiesto di parlare con una persona.",
        "not_helping": "Sembra che le mie risposte non ti stiano aiutando.",
        "repeated_question": "Hai dovuto chiederlo più di una volta.",
        "too_many_turns": "Ci sta volendo più tempo del dovuto.",
        "low_confidence": "La mia risposta potrebbe non essere corretta.",
        "low_confidence_streak": "Le mie risposte potrebbero non essere corrette.",
    },
    category_reasons={
        "billing": "Le questioni di fatturazione come questa meritano l'attenzione di una persona.",
        "cancellation": "Le modifiche al tuo abbonamento meritano l'attenzione di una persona.",
        "legal": "Le questioni con implicazioni legali sono gestite da una persona.",
        "privacy": "Le richieste sui tuoi dati personali sono gestite da una persona.",
        "security": "I problemi di sicurezza sono gestiti da una persona, subito.",
        "technical": "Sembra che serva uno dei nostri tecnici.",
        "compliance": "Le questioni di conformità come questa sono gestite da una persona.",
    },
    emergency="Se tu o un'altra persona siete in pericolo immediato, contatta subito i servizi di emergenza"
    " della tua zona.",
    under_a_minute="meno di un minuto",
    one_minute="circa un minuto",
    minutes="circa {n} minuti",
    one_hour="circa un'ora",
    hours="circa {n} ore",
    days="circa {n} giorni",
    now="adesso",
    today="oggi {at}",
    tomorrow="domani {at}",
    weekday="{weekday} {at}",
    date="{weekday} {day} {month} {at}",
    at="alle {clock}",
    at_one="all'{clock}",
    clock="{hh}:{mm} ({tz})",
    weekdays=("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
    months=(
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ),  # fmt: skip
)

NL = Phrasebook(
    code="nl",
    name="Dutch",
    templates={
        T.TRANSITION: "{reason} Ik schakel een medewerker van {team} in om je te helpen. Die kan dit hele"
        " gesprek teruglezen, dus je hoeft niets te herhalen. Verwachte wachttijd: {wait}.",
        T.TRANSITION_PAGED: "{reason} Ik schakel een medewerker van {team} in. Ons team is nu niet"
        " bereikbaar, dus we hebben de dienstdoende collega opgeroepen. Die kan dit hele gesprek teruglezen,"
        " dus je hoeft niets te herhalen. Verwachte wachttijd: {wait}.",
        T.AFTER_HOURS: "{reason} Ik heb je vraag met het hele gesprek doorgezet naar {team}, dus je hoeft"
        " niets te herhalen. Het team is nu niet bereikbaar; ze zijn er {opening} weer, en je vraag is dan"
        " een van de eerste die we oppakken.",
        T.STILL_ON_IT: "Bedankt voor je geduld: je vraag ligt nog steeds bij ons team en er zou over {wait}"
        " iemand bij je moeten zijn.",
        T.CLAIMED: "{agent} van het team {team} is erbij gekomen en leest het gesprek nu door.",
        T.RESOLVED: "We hebben deze vraag als opgelost gemarkeerd. Is er nog iets? Stuur dan gewoon hier een"
        " bericht, en wil je weer een medewerker spreken, laat het ons dan weten.",
        T.CSAT_QUESTION: "Hoe heeft ons team je geholpen? Kies een score van 1 (slecht) tot 5 (uitstekend).",
        T.CSAT_THANKS: "Bedankt voor je feedback!",
        T.HANDED_OFF: "Ik heb je gesprek doorgegeven aan {team}. Zij hebben alles tot nu toe, dus je hoeft niets te"
        " herhalen.",
        T.LINKED: "Je hebt al een openstaande vraag bij {team}. Ik heb dit bericht eraan toegevoegd, zodat wie ermee"
        " bezig is het ook ziet.",
        T.SAFETY: "Het spijt me echt dat je dit meemaakt. Ik schakel nu meteen een medewerker van ons team"
        " in; die kan dit hele gesprek teruglezen, dus je hoeft niets opnieuw uit te leggen. {emergency}",
        T.SAFETY_STILL_ON_IT: "We zijn je niet vergeten: een medewerker van ons team neemt zo snel mogelijk"
        " contact met je op. {emergency}",
        T.LONGER_THAN_USUAL: "Bedankt voor je geduld: dit duurt langer dan normaal, sorry daarvoor. Je vraag ligt nog"
        " steeds bij ons team en is niet vergeten; we houden je hier op de hoogte.",
    },
    teams={
        "billing": "ons facturatieteam",
        "cancellation": "ons accountteam",
        "legal": "onze juridische afdeling",
        "privacy": "ons privacyteam",
        "security": "ons beveiligingsteam",
        "technical": "ons technische team",
        "account": "ons supportteam",
        "general": "ons supportteam",
        "compliance": "ons complianceteam",
        "safety": "ons supportteam",
    },
    trigger_reasons={
        "human_request": "Je hebt gevraagd om een medewerker te spreken.",
        "not_helping": "Het lijkt erop dat mijn antwoorden je niet verder helpen.",
        "repeated_question": "Je hebt dit al meer dan eens moeten vragen.",
        "too_many_turns": "Dit duurt langer dan nodig is.",
        "low_confidence": "Ik weet niet zeker of mijn antwoord klopt.",
        "low_confidence_streak": "Ik weet niet zeker of mijn antwoorden kloppen.",
    },
    category_reasons={
        "billing": "Factuurvragen zoals deze verdienen de aandacht van een medewerker.",
        "cancellation": "Wijzigingen in je abonnement verdienen de aandacht van een medewerker.",
        "legal": "Zaken met juridische gevolgen worden door een medewerker behandeld.",
        "privacy": "Verzoeken over je persoonsgegevens worden door een medewerker behandeld.",
        "security": "Beveiligingsproblemen worden meteen door een medewerker opgepakt.",
        "technical": "Dit lijkt een klus voor een van onze technici.",
        "compliance": "Compliancevragen zoals deze worden door een medewerker behandeld.",
    },
    emergency="Ben jij of iemand anders in direct gevaar? Neem dan meteen contact op met de lokale"
    " hulpdiensten.",
    under_a_minute="minder dan een minuut",
    one_minute="ongeveer een minuut",
    minutes="ongeveer {n} minuten",
    one_hour="ongeveer een uur",
    hours="ongeveer {n} uur",
    days="ongeveer {n} dagen",
    now="nu",
    today="vandaag {at}",
    tomorrow="morgen {at}",
    weekday="{weekday} {at}",
    date="{weekday} {day} {month} {at}",
    at="om {clock}",
    clock="{hh}:{mm} ({tz})",
    weekdays=("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    months=(
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),  # fmt: skip
)

BUILT_IN: dict[str, Phrasebook] = {book.code: book for book in (EN, ES, DE, FR, PT, IT, NL)}
