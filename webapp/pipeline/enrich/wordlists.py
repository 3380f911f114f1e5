"""Word lists for language detection, written by hand: function words, distinctive letters and word endings.

Kept apart from the detector so that language.py stays readable; nothing here is computed.
"""

# Function words (plus a few very common words) per language. Words shared by several languages count for each of
# them with weight 1/n, so only the distinctive ones decide; character trigrams are derived from the same lists.
# No one-letter ASCII words: "a", "y", "i", "e" are formula variables and list markers as often as words.
LATIN_WORDS = {
    "en": "the of and to in is that for it as with was on be by at this are from or an have not but his they he "
    "she which you we had has were their all one there been would will can more if no when who so what its them out "
    "up about into than other some could only then also these over time two may after most such should any our where "
    "those very just now how much both between each many because through being under while own here before during "
    "without again against us did does her him my me your do said made",
    "de": "der die das und in zu den von mit sich des auf für ist im dem nicht ein eine als auch es an er hat aus bei "
    "sie nach wird einer um am sind noch wie einem über einen so zum war haben nur oder aber vor zur bis mehr durch "
    "man sein wurde sei ich wir ihr ihre werden kann können schon wenn dann dass weil also sehr unter gegen zwischen "
    "immer wieder ohne hier diese dieser dieses jetzt nichts heute keine",
    "fr": "à le la les de des du et en un une est que qui dans pour pas sur au par ce il elle plus avec ne se son sa "
    "ses ont été sont aux mais comme ou nous vous leur leurs cette ces tout tous être avoir fait peut aussi bien très "
    "sans sous entre après avant encore même où dont lui ils elles je on quand donc car qu était avait "
    "chez deux toujours",
    "es": "el la los las de del en un una que es por con no se para al lo como más pero sus su le ya este esta "
    "fue ha son entre cuando muy sin sobre también me hasta hay donde quien desde todo nos durante todos uno les ni "
    "contra otros ese eso ante ellos esto mí antes algunos qué unos yo otro otras otra él tanto esa estos mucho "
    "quienes nada muchos cual poco ella estar estas algo nosotros está están ser hacer puede",
    "it": "è il lo la gli le di da in con su per tra fra un uno una che non si come anche più ma del della dei "
    "delle degli al alla ai alle nel nella nei sul sulla dal dalla questo questa quello sono era essere ha hanno "
    "stato molto ancora dove quando perché se ci ne mi ti suo sua loro tutto tutti solo sempre già poi così dopo "
    "prima io noi voi lui lei cosa fare può un",
    "pt": "à os as de do da dos das em no na nos nas um uma que com não por para se mais como mas ao aos foi "
    "ser são está ou seu sua seus suas ele ela eles elas isso este esta esse essa também já pelo pela pelos pelas "
    "muito quando até sem entre depois sobre quem há nem me eu você tem ter foram era mesmo ainda só onde porque "
    "todos todo bem",
    "nl": "de het een en van in is dat op te zijn voor met die niet aan er om ook als bij of door maar naar dan nog "
    "wel uit over tot ze zo hij zij wij we ik je was werd worden wordt heeft hebben kan kunnen meer geen al dit "
    "deze zich onder tegen tussen na omdat waar wat wie hoe toen nu hier daar veel moet zou zal mijn haar hun ons",
    "sv": "och att det som en på är av för med till den har de inte om ett var men så vi han hon kan från eller "
    "när efter också mycket skulle sig nu bara här vara blir vad där under alla vid mot hade denna detta sina hans "
    "hennes deras än upp ut över utan mellan genom många andra sedan ska finns två år jag du hur varför eftersom "
    "något ingen man",
    "da": "og at det som en på er af for med til den har de ikke om et var men så vi han hun kan fra eller når "
    "efter også meget skulle sig nu bare her være bliver hvad der under alle ved mod havde denne dette sine hans "
    "hendes deres end op ud over uden mellem gennem mange andre siden skal findes to år jeg du hvordan hvorfor fordi "
    "noget ingen man blev nogle",
    "no": "og at det som en på er av for med til den har de ikke om et var men så vi han hun kan fra eller når "
    "etter også mye skulle seg nå bare her være blir hva der under alle ved mot hadde denne dette sine hans hennes "
    "deres enn opp ut over uten mellom gjennom mange andre siden skal finnes to år jeg du hvordan hvorfor fordi noe "
    "ingen man ble noen",
    "fi": "ja on ei se että oli olla hän kun niin mutta tai kuin myös jo vain sen joka ovat sitä ole mitä kanssa "
    "mukaan tämä nämä ne me te he minä sinä hänen heidän sekä jos nyt vielä sitten koska kaikki mikä jotka ollut "
    "olivat siitä siinä tässä tähän kuitenkin jälkeen aikana välillä ennen yli alle noin paljon hyvin aina",
    "pl": "na że do się nie to jest jak po co ale od za tak dla przez jego jej ich już tylko czy może być "
    "był była było są jako przy oraz lub też by jednak bardzo który która które których tym tego ten ta te gdy go mu "
    "mi nas was pod nad bez między kiedy gdzie jeszcze teraz więc ze we",
    "cs": "na se je že to do jako ve pro ale by jsem jsou jeho její jejich tak už jen nebo také když "
    "jak po za od bylo byl byla být může podle při mezi kde ještě však který která které tento tato toto této tohoto "
    "bez pod nad před proto aby či jsme jste má mají ze",
    "tr": "ve bir bu da de ile için olarak olan gibi daha çok en ne var yok ama kadar sonra her şey ben sen biz "
    "siz onlar değil mi mı mu mü ki ise veya hem göre ancak bile böyle şu şimdi nasıl neden çünkü üzerinde arasında "
    "tarafından olduğu oldu olur yani sadece kendi diye bunu buna bunun onun",
    "ro": "și şi în de la cu pe că nu se un este care din pentru sau mai al ale ai au fost sunt fi ca dar prin "
    "după până foarte lui lor ei el ea noi voi eu tu acest această aceste acesta despre când unde doar fără între sub "
    "peste cel cea cei cele îl îi să ce cum am",
    "hu": "ő az és hogy nem is egy van meg de el ez azt csak mint már volt még ki be fel le kell lehet vagy mert ha "
    "sem pedig amely aki ami majd most itt ott nagyon minden mindig között után alatt szerint által vannak lesz lett "
    "voltak neki nekem őket én te mi ti ők annak ennek azonban valamint így úgy",
    "id": "yang dan di ke dari ini itu dengan untuk pada adalah dalam tidak akan atau juga ada oleh sebagai karena "
    "saya kami kita mereka ia dia telah sudah bisa dapat lebih harus tersebut seperti jika saat masih hanya antara "
    "setelah sebelum tetapi namun banyak semua sangat bahwa hal para kepada secara menjadi bagi tentang hingga sampai",
    "vi": "và của là có được cho không những các một trong người với này đã khi để cũng như từ đến về theo ra làm "
    "nhiều sẽ đó nhưng thì nào vào lại rất trên năm tôi chúng ta họ anh em bị hay mà nên sau còn đây gì nó nhất hơn "
    "thể",
}
# Letters that appear in few of the languages above; each occurrence is evidence, shared the same 1/n way.
LATIN_LETTERS = {
    "de": "äöüß",
    "fr": "éèêàçùœëî",
    "es": "ñáéíóú¿¡",
    "it": "àèéìòù",
    "pt": "ãõçáâêóôé",
    "sv": "åäö",
    "da": "æøå",
    "no": "æøå",
    "fi": "äö",
    "pl": "ąćęłńóśźż",
    "cs": "áčďéěíňóřšťúůýž",
    "tr": "çğıöşü",
    "ro": "ăâîșțşţ",
    "hu": "áéíóöőúüű",
    "vi": "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",
}
CYRILLIC_WORDS = {
    "ru": "и в не на что с по я он как это а то все она так его но к у же вы за бы от из мы о ты было только когда "
    "уже для вот да ее мне был нет ли если или ни быть до ему они тоже чтобы при который которые этого этот эта "
    "потому даже между очень где сейчас себя будет может",
    "uk": "і в не на що з по я він як це а то все вона так його але до у же ви за б від із ми о ти було тільки коли "
    "вже для ось її мені був немає чи якщо або ні бути йому вони також щоб при який які цього цей ця тому навіть між "
    "дуже де зараз себе буде може є та й",
    "bg": "и в не на че с по аз той как това а то всички тя така но към у вие за би от из ние ти беше само когато "
    "вече ето да нея ми няма ли ако или ни бъде до му те също при който които този тази защото дори между много "
    "където сега себе си ще може е са се",
    "sr": "и у не на да је се са по ја он како то а све она тако али ка ви за би од из ми о ти било само када већ "
    "ево њу био нема ли ако или ни бити до му они такође при који које овај ова зато чак између веома где сада себе "
    "ће може су",
    "be": "і ў не на што з па я ён як гэта а то ўсе яна так яго але да у ж вы за б ад мы пра ты было толькі калі "
    "ўжо для вось яе мне быў няма ці або ні быць яму яны таксама каб пры які якія гэтага гэты гэтая таму нават "
    "паміж вельмі дзе цяпер сябе будзе можа",
    "mk": "и во не на што со по јас тој како тоа а сите таа така но кон кај вие за би од ние ти беше само кога веќе "
    "да неа ми нема ли ако или ни биде до му тие исто при кој кои овој оваа затоа дури меѓу многу каде сега себе ќе "
    "може е се",
}
# Letters a language lacks matter as much as its own: Serbian and Macedonian write no я, ю, й, щ or ь.
CYRILLIC_LETTERS = {
    "ru": "иыэёйьяющъ",
    "uk": "иіїєґйьяющ",
    "be": "ўіыэёйьяю",
    "bg": "иъйьяющ",
    "sr": "иђћџљњј",
    "mk": "иѓќѕџљњј",
}
ARABIC_WORDS = {
    "ar": "في من على إلى أن التي الذي هذا هذه عن مع كان لا ما هو هي قد كل بين أو ثم عند لم بعد ذلك حتى إن وهو وقد "
    "كما أيضا الى ان او تلك الذين",
    "fa": "و در به از که این را با است برای آن یک خود تا بر هم نیز شده شود می اند بود کرد شد ای دیگر ما من او هر وی "
    "پس اگر یا چه",
    "ur": "کے کی ہے میں اور سے کو نے یہ ایک کا ہیں پر بھی تھا تھی گیا کر وہ اس جو نہیں ہو لیے کیا ان تو",
}
ARABIC_LETTERS = {"ar": "ةيكىأإ", "fa": "پچژگیک", "ur": "ٹڈڑںےھپچگیک"}

# Word endings, used for trigrams only: they are what tells content words apart ("-ção", "-ung", "-ого").
SUFFIXES = {
    "en": "ing tion ed ly ness ment ght ous ity ould ther",
    "de": "ung keit heit lich isch chen ten gen ern sch tz nden",
    "fr": "tion ment eux euse ais ait aient ique ité ée és oir eur",
    "es": "ción ado ada ados idad mente iones ando iendo aba ía",
    "it": "zione zioni mente ato ata ati ità ello etto gli anno ere",
    "pt": "ção ções mente ado ada dade ão ões inho ava eiro",
    "nl": "heid lijk ing en tje ijk sch aar ouw uur",
    "sv": "ning het lig ande ende ar or na tt ska",
    "da": "ning hed lig ende er ene else tt sk",
    "no": "ning het lig ende er ene else tt sk",
    "fi": "nen inen ssa ssä sta stä lla llä lta ksi mme tte vat vät",
    "pl": "ość ie ego ych ami ach ów ać ić ną ski cja",
    "cs": "ost ého ých ími ách ovat ení ský ce ům",
    "tr": "lar ler lik lık sı si yor mak mek dır dir ın in",
    "ro": "ul ului ilor ție ția ea ește ează are ii",
    "hu": "ság ség ban ben nak nek val vel ból ből ról hoz ott ett",
    "id": "kan nya an lah kah ang ung ng",
    "ru": "ого ему ой ый ий ая ое ые ых ыми ся ть ет ют ешь ость ние",
    "uk": "ого ому ий ій ої их ся ти ть ння ість ів",
    "bg": "ата ото ите ът ия ане ение ост ски ват",
    "sr": "ти ње ја ски ост ије ају ити ом",
    "be": "ага ай ая ых ці цца нне асць",
    "mk": "та от те ње ски ост ија аат",
}
